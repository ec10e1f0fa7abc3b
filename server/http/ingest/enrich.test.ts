import { describe, expect, it } from "bun:test";
import { createHmac } from "node:crypto";
import { IpHasher } from "./enrich.ts";

const SECRET = "enrich-test-secret";

/** The hash as defined: HMAC-SHA256 of the IP under HMAC-SHA256(SECRET_KEY, "ip-hash:<UTC date>"). */
function expectedHash(ip: string, date: string): string {
  const dayKey = createHmac("sha256", SECRET).update(`ip-hash:${date}`).digest();
  return createHmac("sha256", dayKey).update(ip).digest("hex");
}

describe("IpHasher", () => {
  it("hashes an IP under the day's key, alike all day (cached or not)", () => {
    const hasher = new IpHasher(SECRET);
    const morning = Date.parse("2026-03-14T00:00:00.000Z");
    const evening = Date.parse("2026-03-14T23:59:59.999Z");
    const first = hasher.hash("203.0.113.7", morning);
    expect(first).toBe(expectedHash("203.0.113.7", "2026-03-14"));
    expect(hasher.hash("203.0.113.7", evening)).toBe(first);
    expect(new IpHasher(SECRET).hash("203.0.113.7", evening)).toBe(first);
    expect(hasher.hash("2001:db8::1", evening)).toBe(expectedHash("2001:db8::1", "2026-03-14"));
  });

  it("changes key (and drops the cached hashes) at the UTC day boundary, both ways", () => {
    const hasher = new IpHasher(SECRET);
    const lastMs = Date.parse("2026-03-14T23:59:59.999Z");
    const before = hasher.hash("203.0.113.7", lastMs);
    const after = hasher.hash("203.0.113.7", lastMs + 1);
    expect(after).not.toBe(before);
    expect(after).toBe(expectedHash("203.0.113.7", "2026-03-15"));
    // A request stamped a moment earlier (another clock reading) gets the earlier day's hash, not a cached one.
    expect(hasher.hash("203.0.113.7", lastMs)).toBe(before);
  });

  it("uses the right date for times before 1970 too", () => {
    const hasher = new IpHasher(SECRET);
    expect(hasher.hash("198.51.100.1", -1)).toBe(expectedHash("198.51.100.1", "1969-12-31"));
    expect(hasher.hash("198.51.100.1", 0)).toBe(expectedHash("198.51.100.1", "1970-01-01"));
  });

  it("keeps answering correctly once its bounded cache has been emptied", () => {
    const hasher = new IpHasher(SECRET);
    const now = Date.parse("2026-03-14T12:00:00.000Z");
    for (let i = 0; i < 10_050; i++) hasher.hash(`10.0.${i >> 8}.${i & 255}`, now);
    expect(hasher.hash("10.0.0.1", now)).toBe(expectedHash("10.0.0.1", "2026-03-14"));
    expect(hasher.hash("10.0.39.40", now)).toBe(expectedHash("10.0.39.40", "2026-03-14"));
  });
});
