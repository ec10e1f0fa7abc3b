import { describe, expect, it } from "bun:test";
import { backoffDelay, isRetryable, MAX_ATTEMPTS, retryAfterMs } from "./backoff.ts";

const NOW = Date.parse("2026-11-26T08:00:00Z");

describe("isRetryable", () => {
  it("retries network errors, 429 and every 5xx", () => {
    for (const status of [undefined, 0, 429, 500, 502, 503, 504, 599]) expect(isRetryable(status)).toBe(true);
  });

  it("never retries a success or another 4xx", () => {
    for (const status of [200, 202, 204, 400, 401, 403, 404, 408, 413, 415, 422])
      expect(isRetryable(status)).toBe(false);
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds", () => {
    expect(retryAfterMs("3", NOW)).toBe(3000);
    expect(retryAfterMs("0.5", NOW)).toBe(500);
  });

  it("reads an HTTP date relative to now", () => {
    expect(retryAfterMs(new Date(NOW + 7000).toUTCString(), NOW)).toBe(7000);
  });

  it("is 0 when the header is absent or unparsable", () => {
    expect(retryAfterMs(null, NOW)).toBe(0);
    expect(retryAfterMs(undefined, NOW)).toBe(0);
    expect(retryAfterMs("", NOW)).toBe(0);
    expect(retryAfterMs("soon", NOW)).toBe(0);
  });
});

describe("backoffDelay", () => {
  it("doubles from 0.5 s with each attempt", () => {
    const delays = [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, null, 1, NOW));
    expect(delays).toEqual([500, 1000, 2000, 4000]);
  });

  it("jitters between half and all of the exponential delay", () => {
    expect(backoffDelay(3, null, 0, NOW)).toBe(1000);
    expect(backoffDelay(3, null, 0.5, NOW)).toBe(1500);
    expect(backoffDelay(3, null, 0.999, NOW)).toBeLessThan(2000);
  });

  it("caps the exponential delay at 30 s", () => {
    expect(backoffDelay(MAX_ATTEMPTS, null, 1, NOW)).toBeLessThanOrEqual(30_000);
    expect(backoffDelay(40, null, 1, NOW)).toBe(30_000);
  });

  it("never retries sooner than Retry-After", () => {
    expect(backoffDelay(1, "5", 1, NOW)).toBe(5000);
    expect(backoffDelay(1, new Date(NOW + 12_000).toUTCString(), 0, NOW)).toBe(12_000);
  });

  it("ignores a Retry-After shorter than the backoff", () => {
    expect(backoffDelay(4, "1", 1, NOW)).toBe(4000);
  });

  it("bounds the total wait of a batch before it is dropped to a few minutes", () => {
    let total = 0;
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) total += backoffDelay(attempt, null, 1, NOW);
    expect(total).toBeLessThan(5 * 60_000);
    expect(total).toBeGreaterThan(30_000);
  });
});
