import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sdkAssetRoutes } from "./sdk-assets.ts";

let dir: string;
let app: ReturnType<typeof sdkAssetRoutes>;
const HASHED = "sdk.0123456789.min.js";

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sdk-assets-"));
  await mkdir(path.join(dir, "dist"));
  await mkdir(path.join(dir, "demo"));
  await writeFile(path.join(dir, "dist", "sdk.min.js"), "window.tracker={}");
  await writeFile(path.join(dir, "dist", HASHED), "window.tracker={}");
  await writeFile(path.join(dir, "dist", "sdk.js"), "// readable");
  await writeFile(path.join(dir, "dist", "manifest.json"), "{}");
  await writeFile(path.join(dir, "dist", "secret.txt"), "not an SDK file");
  await writeFile(path.join(dir, "demo", "index.html"), "<!doctype html><title>demo</title>");
  await writeFile(path.join(dir, "demo", "demo.js"), "console.log('demo')");
  app = sdkAssetRoutes({ distDir: path.join(dir, "dist"), demoDir: path.join(dir, "demo") });
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("sdkAssetRoutes", () => {
  it("serves sdk.min.js as JavaScript to any origin", async () => {
    const res = await app.request("/static/sdk/sdk.min.js", { headers: { Origin: "https://customer.example" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("window.tracker={}");
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  });

  it("caches the stable names for a day with background revalidation", async () => {
    const res = await app.request("/static/sdk/sdk.js");
    expect(res.headers.get("cache-control")).toBe("public, max-age=86400, stale-while-revalidate=604800");
  });

  it("caches the content-hashed name for a year as immutable", async () => {
    const res = await app.request(`/static/sdk/${HASHED}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const first = await app.request("/static/sdk/sdk.min.js");
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);
    const second = await app.request("/static/sdk/sdk.min.js", { headers: { "If-None-Match": etag! } });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe("");
  });

  it("serves a rebuilt file without a restart", async () => {
    const file = path.join(dir, "dist", "sdk.js");
    await writeFile(file, "// rebuilt, longer than before");
    expect(await (await app.request("/static/sdk/sdk.js")).text()).toBe("// rebuilt, longer than before");
  });

  it("refuses names that are not SDK files", async () => {
    for (const name of ["secret.txt", "..%2Fdemo%2Findex.html", "sdk.min.js.map"]) {
      const res = await app.request(`/static/sdk/${name}`);
      expect(res.status).toBe(404);
    }
  });

  it("answers 404 in the REST error shape for a hashed file of another build", async () => {
    const res = await app.request("/static/sdk/sdk.ffffffffff.min.js");
    expect(res.status).toBe(404);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: "not_found" } });
  });

  it("serves the demo page at /demo and at its client-side routes", async () => {
    for (const url of ["/demo", "/demo/pricing", "/demo/after?project=proj_x"]) {
      const res = await app.request(url);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await res.text()).toContain("<title>demo</title>");
    }
  });

  it("serves the demo script", async () => {
    const res = await app.request("/demo/demo.js");
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await res.text()).toBe("console.log('demo')");
  });
});
