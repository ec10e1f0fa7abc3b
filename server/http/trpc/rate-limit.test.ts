import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { createApp } from "../app.ts";

let fixture: TestServices;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  fixture = await createTestServices({ RATE_LIMIT_PER_MINUTE: "3", TRUST_PROXY: "true" });
  app = createApp(fixture.services);
}, 30_000);

afterAll(async () => {
  await fixture.cleanup();
}, 30_000);

const batchOf = (calls: number, ip: string) =>
  app.request(`/api/trpc/${Array(calls).fill("auth.me").join(",")}?batch=1`, { headers: { "x-forwarded-for": ip } });

describe("the default dashboard API rate limit", () => {
  it("counts a batched request once, however many calls it carries", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await batchOf(12, "203.0.113.7");
      expect(res.status).not.toBe(429);
      const results = (await res.json()) as Array<{ error?: { data?: { code?: string } } }>;
      expect(results).toHaveLength(12);
      expect(results.every((r) => r.error?.data?.code === "UNAUTHORIZED")).toBe(true);
    }
  });

  it("answers the request past the limit with 429 and Retry-After for every call in it", async () => {
    const ip = "203.0.113.8";
    for (let i = 0; i < 3; i++) expect((await batchOf(2, ip)).status).not.toBe(429);
    const limited = await batchOf(2, ip);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const results = (await limited.json()) as Array<{ error?: { data?: { code?: string } } }>;
    expect(results.map((r) => r.error?.data?.code)).toEqual(["TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"]);
  });
});
