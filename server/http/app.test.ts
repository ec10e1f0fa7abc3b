import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type PrivateRedis, startPrivateRedis } from "../test-support/private-redis.ts";
import { createTestServices, type TestServices } from "../test-support/services.ts";
import { createApp } from "./app.ts";

let fixture: TestServices;
let redis: PrivateRedis;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  redis = await startPrivateRedis();
  fixture = await createTestServices({ REDIS_URL: redis.url, CORS_ORIGINS: "https://dash.example.com" });
  app = createApp(fixture.services);
});

afterAll(async () => {
  await fixture.cleanup();
  await redis.stop();
});

describe("security headers", () => {
  it("are set on successful answers and on errors alike", async () => {
    for (const res of [await app.request("/api/v1/health"), await app.request("/api/v1/no-such-route")]) {
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBeTruthy();
      expect(res.headers.get("permissions-policy")).toBeTruthy();
    }
  });

  it("answers unknown API routes in the REST error shape", async () => {
    const res = await app.request("/api/v1/no-such-route");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
  });
});

describe("dashboard API CSRF and CORS", () => {
  it("refuses a form-encoded POST that a foreign page could send without a preflight", async () => {
    const res = await app.request("/api/trpc/auth.login", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ email: "a@b.c", password: "x" }),
    });
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe("unsupported_media_type");
  });

  it("refuses a JSON POST from an origin that is not allowed", async () => {
    const res = await app.request("http://localhost/api/trpc/auth.logout", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: "{}",
    });
    expect(res.status).toBe(403);
  });

  it("answers a preflight from an allowed origin with credentials, and never reflects others", async () => {
    const allowed = await app.request("/api/trpc/auth.me", {
      method: "OPTIONS",
      headers: { origin: "https://dash.example.com", "access-control-request-method": "POST" },
    });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://dash.example.com");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    const foreign = await app.request("/api/trpc/auth.me", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses oversized bodies with 413 before parsing them", async () => {
    const res = await app.request("/api/trpc/auth.login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "x".repeat(300 * 1024) }),
    });
    expect(res.status).toBe(413);
  });
});

describe("health", () => {
  it("reports liveness without touching dependencies and readiness of database and Redis", async () => {
    expect(await (await app.request("/api/v1/health")).json()).toEqual({ status: "ok" });
    const ready = await app.request("/api/v1/health/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ok", checks: { database: "ok", redis: "ok" } });
  });

  it("answers 503 naming Redis when Redis is down, while liveness stays 200", async () => {
    await redis.stop();
    try {
      const ready = await app.request("/api/v1/health/ready");
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "unavailable", down: ["redis"] });
      expect((await app.request("/api/v1/health")).status).toBe(200);
    } finally {
      await redis.start();
    }
  });
});
