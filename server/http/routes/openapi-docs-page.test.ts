import { describe, expect, it } from "bun:test";
import { Hono } from "hono";
import { securityHeaders } from "../middleware/security-headers.ts";
import { openApiRoutes } from "./openapi.ts";

function app() {
  return new Hono().use(securityHeaders({ hsts: false })).route("/api/v1", openApiRoutes());
}

/** Every src/href of a page, in order. */
const references = (html: string) => [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);

describe("GET /api/v1/docs", () => {
  it("serves a page whose scripts all come from this server, none inline, under the app's CSP", async () => {
    const res = await app().request("/api/v1/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((script) => script[1]!.match(/src="([^"]*)"/)?.[1])).toEqual([
      "/api/v1/docs/swagger-ui-bundle.js",
      "/api/v1/docs/docs.js",
    ]);
    for (const script of scripts) expect(script[2]!.trim()).toBe("");
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("references only same-origin assets, and each of them answers 200 with its type", async () => {
    const html = await (await app().request("/api/v1/docs")).text();
    const assets = references(html).filter((url) => !url.startsWith("data:"));
    expect(assets.sort()).toEqual([
      "/api/v1/docs/docs.js",
      "/api/v1/docs/swagger-ui-bundle.js",
      "/api/v1/docs/swagger-ui.css",
    ]);
    for (const url of assets) {
      expect(url).toMatch(/^\/[^/]/);
      const asset = await app().request(url);
      expect({ url, status: asset.status }).toEqual({ url, status: 200 });
      expect(asset.headers.get("content-type")).toContain(url.endsWith(".css") ? "text/css" : "javascript");
      expect((await asset.text()).length).toBeGreaterThan(0);
    }
  });

  it("starts Swagger UI on this server's document, with the validator badge (another host) off", async () => {
    const script = await (await app().request("/api/v1/docs/docs.js")).text();
    expect(script).toContain('url: "/api/v1/openapi.json"');
    expect(script).toContain('validatorUrl: "none"');
    expect(await (await app().request("/api/v1/docs/swagger-ui-bundle.js")).text()).toContain("SwaggerUIBundle");
  });
});
