import { describe, expect, it } from "bun:test";
import { Hono } from "hono";
import { INGEST_LIMITS } from "../../shared/ingest.ts";
import { securityHeaders } from "../http/security-headers.ts";
import { launchChromium, shouldSkipBrowserTests } from "../test-support/browser.ts";
import { buildOpenApiDocument, openApiRoutes } from "./openapi.ts";

function app() {
  return new Hono().use(securityHeaders({ hsts: false })).route("/api/v1", openApiRoutes());
}

describe("GET /api/v1/openapi.json", () => {
  it("describes ingest and health with schemas generated from the shared zod contract", async () => {
    const res = await app().request("/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as ReturnType<typeof buildOpenApiDocument>;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(["/api/v1/events/ingest", "/api/v1/health", "/api/v1/health/ready"]);
    expect(Object.keys(doc.paths["/api/v1/events/ingest"].post.responses).sort()).toEqual(
      ["202", "400", "401", "403", "413", "415", "429", "503"],
    );
    const schemas = doc.components.schemas as Record<string, { properties?: Record<string, { maxItems?: number; maxLength?: number }> }>;
    expect(schemas.IngestRequest!.properties!.events!.maxItems).toBe(INGEST_LIMITS.maxEvents);
    expect(schemas.IngestEvent!.properties!.event!.maxLength).toBe(INGEST_LIMITS.maxEventNameLength);
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(["IngestResponse", "RestError", "LiveEvent"]));
  });

  it("describes the 400 of a request whose every event was rejected", () => {
    const doc = buildOpenApiDocument();
    const bad = doc.paths["/api/v1/events/ingest"].post.responses["400"];
    expect(bad.description).toContain("all_events_rejected");
    expect(JSON.stringify(bad.content)).toContain("#/components/schemas/IngestRejected");
    const rejected = doc.components.schemas.IngestRejected as { properties: Record<string, unknown>; required: string[] };
    expect(rejected.required.sort()).toEqual(["accepted", "error", "rejected"]);
    expect(JSON.stringify(rejected.properties.error)).toContain('"const":"all_events_rejected"');
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

describe("GET /api/v1/docs", () => {
  it("serves a page whose only script comes from this server, under the app's CSP", async () => {
    const res = await app().request("/api/v1/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toContain('src="/api/v1/docs/docs.js"');
    expect(scripts[0]![2]!.trim()).toBe("");
    expect(html).not.toMatch(/https?:\/\//);
    const script = await app().request("/api/v1/docs/docs.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect(await script.text()).toContain("/api/v1/openapi.json");
    expect((await app().request("/api/v1/docs/docs.css")).status).toBe(200);
  });
});

describe.skipIf(shouldSkipBrowserTests())("the docs page in a browser", () => {
  it("renders every operation under the app's CSP with no console errors", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app().fetch });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`http://127.0.0.1:${server.port}/api/v1/docs`);
      await page.waitForSelector("section.op h2 code", { timeout: 10_000 });
      const paths = await page.$$eval("section.op h2 code", (nodes) => nodes.map((node) => node.textContent));
      expect(paths).toEqual(["/api/v1/events/ingest", "/api/v1/health", "/api/v1/health/ready"]);
      expect(await page.textContent("body")).toContain("IngestRequest");
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      server.stop(true);
    }
  }, 30_000);
});
