import { describe, expect, it } from "bun:test";
import { Hono } from "hono";
import { INGEST_LIMITS } from "../../../shared/ingest.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../test-support/browser.ts";
import { securityHeaders } from "../middleware/security-headers.ts";
import { buildOpenApiDocument, openApiRoutes } from "./openapi.ts";
import { STATS_ENDPOINTS, STATS_PARAMETERS } from "./stats-api.ts";

const STATS_PATHS = Object.keys(STATS_ENDPOINTS).map((endpoint) => `/api/v1/stats/${endpoint}`);

function app() {
  return new Hono().use(securityHeaders({ hsts: false })).route("/api/v1", openApiRoutes());
}

describe("GET /api/v1/openapi.json", () => {
  it("describes ingest and health with schemas generated from the shared zod contract", async () => {
    const res = await app().request("/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as ReturnType<typeof buildOpenApiDocument>;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      ["/api/v1/events/ingest", "/api/v1/health", "/api/v1/health/ready", ...STATS_PATHS].sort(),
    );
    expect(Object.keys(doc.paths["/api/v1/events/ingest"].post.responses).sort()).toEqual([
      "202",
      "400",
      "401",
      "403",
      "413",
      "415",
      "429",
      "503",
    ]);
    const schemas = doc.components.schemas as Record<
      string,
      { properties?: Record<string, { maxItems?: number; maxLength?: number }> }
    >;
    expect(schemas.IngestRequest!.properties!.events!.maxItems).toBe(INGEST_LIMITS.maxEvents);
    expect(schemas.IngestEvent!.properties!.event!.maxLength).toBe(INGEST_LIMITS.maxEventNameLength);
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(["IngestResponse", "RestError", "LiveEvent"]));
  });

  it("describes the 400 of a request whose every event was rejected", () => {
    const doc = buildOpenApiDocument();
    const bad = doc.paths["/api/v1/events/ingest"].post.responses["400"];
    expect(bad.description).toContain("all_events_rejected");
    expect(JSON.stringify(bad.content)).toContain("#/components/schemas/IngestRejected");
    const rejected = doc.components.schemas.IngestRejected as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(rejected.required.sort()).toEqual(["accepted", "error", "rejected"]);
    expect(JSON.stringify(rejected.properties.error)).toContain('"const":"all_events_rejected"');
  });

  it("describes every Stats API endpoint behind the read-key bearer scheme, with its snake_case parameters", () => {
    const doc = buildOpenApiDocument();
    expect(doc.components.securitySchemes.readKey).toMatchObject({ type: "http", scheme: "bearer" });
    const paths = doc.paths as unknown as Record<
      string,
      { get: { security: unknown; parameters: Array<{ name: string; required: boolean }>; responses: object } }
    >;
    for (const path of STATS_PATHS) {
      const operation = paths[path]!.get;
      expect(operation.security).toEqual([{ readKey: [] }]);
      const names = operation.parameters.map((p) => p.name);
      expect(names).toContain("project_id");
      for (const name of names) expect(STATS_PARAMETERS).toHaveProperty(name);
      expect(operation.parameters.find((p) => p.name === "project_id")!.required).toBe(true);
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(["200", "400", "401", "403", "404", "429"]),
      );
    }
    const breakdown = paths["/api/v1/stats/breakdown"]!.get.parameters.map((p) => p.name);
    expect(breakdown).toEqual(["project_id", "period", "from", "to", "timezone", "filters", "dimension", "limit"]);
    expect(paths["/api/v1/stats/breakdown"]!.get.parameters.find((p) => p.name === "dimension")!.required).toBe(true);
    const timeseries = paths["/api/v1/stats/timeseries"]!.get.parameters.map((p) => p.name);
    expect(timeseries).toContain("granularity");
  });

  it("resolves every $ref it contains", () => {
    const doc = buildOpenApiDocument();
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = ref.slice(ref.lastIndexOf("/") + 1, -1);
      expect(doc.components.schemas).toHaveProperty(name);
    }
  });
});

// The page's HTML and assets without a browser: openapi-docs-page.test.ts.
describe.skipIf(shouldSkipBrowserTests())("the docs page in a browser", () => {
  it("renders every operation with Authorize and Try it out, loading nothing from another origin", async () => {
    // A health route of its own, for "Try it out" to call on this origin.
    const withHealth = app().get("/api/v1/health", (c) => c.json({ status: "ok" }));
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: withHealth.fetch });
    const origin = `http://127.0.0.1:${server.port}`;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const elsewhere: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("request", (request) => {
        if (!request.url().startsWith(`${origin}/`) && !request.url().startsWith("data:"))
          elsewhere.push(request.url());
      });
      await page.goto(`${origin}/api/v1/docs`);
      await page.waitForSelector(".opblock-summary-path", { timeout: 15_000 });
      const paths = await page.$$eval(".opblock-summary-path", (nodes) =>
        nodes.map((node) => node.getAttribute("data-path")),
      );
      expect(paths).toEqual(["/api/v1/events/ingest", "/api/v1/health", "/api/v1/health/ready", ...STATS_PATHS]);
      expect(await page.textContent("body")).toContain("IngestRequest");
      expect(await page.isVisible("button.authorize")).toBe(true);
      // Authorize offers the read key as a bearer token.
      await page.click("button.authorize");
      await page.waitForSelector(".auth-container", { timeout: 5_000 });
      expect(await page.textContent(".dialog-ux")).toContain("readKey");
      expect(await page.textContent(".dialog-ux")).toContain("Bearer");
      await page.click(".dialog-ux .close-modal");
      await page.click(".opblock-summary-path[data-path='/api/v1/health']");
      await page.waitForSelector("button.try-out__btn", { timeout: 5_000 });
      await page.click("button.try-out__btn");
      await page.click("button.execute");
      const status = ".live-responses-table tbody .response-col_status";
      await page.waitForSelector(status, { timeout: 5_000 });
      expect((await page.textContent(status))?.trim()).toBe("200");
      expect(elsewhere).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      server.stop(true);
    }
  }, 30_000);
});
