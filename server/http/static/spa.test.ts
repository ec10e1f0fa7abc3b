import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Hono } from "hono";
import { isExcludedFromFallback, registerSpa } from "./spa.ts";

let dist: string;
let app: Hono;
const INDEX =
  '<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script></body></html>';
const SCRIPT = `console.log(${JSON.stringify("x".repeat(2000))});`;

beforeAll(async () => {
  dist = await mkdtemp(path.join(tmpdir(), "spa-test-"));
  await mkdir(path.join(dist, "assets"));
  await writeFile(path.join(dist, "index.html"), INDEX);
  await writeFile(path.join(dist, "assets", "index-abc123.js"), SCRIPT);
  await writeFile(path.join(dist, "assets", "index-abc123.js.gz"), gzipSync(SCRIPT));
  await writeFile(path.join(dist, "favicon.svg"), "<svg/>");
  await writeFile(path.join(tmpdir(), "spa-test-secret.txt"), "secret");
  app = new Hono();
  app.get("/api/v1/health", (c) => c.json({ status: "ok" }));
  registerSpa(app, { distDir: dist });
  app.notFound((c) => c.json({ error: { code: "not_found", message: "nope" } }, 404));
});

afterAll(async () => {
  await rm(dist, { recursive: true, force: true });
  await rm(path.join(tmpdir(), "spa-test-secret.txt"), { force: true });
});

describe("registerSpa", () => {
  it("serves index.html at / without caching it", async () => {
    const res = await app.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toBe(INDEX);
  });

  it("answers deep links with the app so the browser can route them", async () => {
    const res = await app.request("/projects/0b6c/settings?period=30d");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(INDEX);
  });

  it("caches hashed assets for a year", async () => {
    const res = await app.request("/assets/index-abc123.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-type")).toContain("javascript");
  });

  it("sends the gzip twin to browsers that accept it", async () => {
    const res = await app.request("/assets/index-abc123.js", { headers: { "accept-encoding": "gzip, br" } });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(new Uint8Array(await res.arrayBuffer()).length).toBeLessThan(SCRIPT.length);
  });

  it("revalidates index.html by ETag", async () => {
    const first = await app.request("/");
    const again = await app.request("/", { headers: { "if-none-match": first.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("never answers API, static or missing files with the app", async () => {
    for (const url of ["/api/v1/nothing", "/api", "/static/sdk/missing.js", "/assets/missing-123.js", "/robots.txt"]) {
      const res = await app.request(url);
      expect(res.status, url).toBe(404);
      expect(await res.json(), url).toMatchObject({ error: { code: "not_found" } });
    }
    expect((await app.request("/api/v1/health")).status).toBe(200);
  });

  it("does not leave the dist folder", async () => {
    for (const url of [
      "/../spa-test-secret.txt",
      "/assets/%2e%2e/%2e%2e/spa-test-secret.txt",
      "/%2e%2e%2fspa-test-secret.txt",
    ]) {
      const res = await app.request(url);
      expect(res.status, url).toBe(404);
    }
  });

  it("explains a missing build instead of a blank page", async () => {
    const bare = new Hono();
    registerSpa(bare, { distDir: path.join(dist, "not-built") });
    const res = await bare.request("/projects");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("bun run build");
  });
});

describe("isExcludedFromFallback", () => {
  it("excludes API and static paths and file names", () => {
    expect(isExcludedFromFallback("/api/trpc/auth.me")).toBe(true);
    expect(isExcludedFromFallback("/static/sdk/sdk.min.js")).toBe(true);
    expect(isExcludedFromFallback("/favicon.ico")).toBe(true);
    expect(isExcludedFromFallback("/projects/1")).toBe(false);
    expect(isExcludedFromFallback("/apiary")).toBe(false);
  });
});
