import { describe, expect, it } from "bun:test";
import { listBuckets, zoneOffsetMs } from "./time-buckets.ts";

const iso = (ms: number) => new Date(ms).toISOString();

describe("listBuckets", () => {
  it("starts days at local midnight in +05:30 and +05:45 zones", () => {
    const from = Date.parse("2026-06-10T00:00:00Z");
    const to = Date.parse("2026-06-12T00:00:00Z");
    expect(listBuckets(from, to, "day", "Asia/Kolkata").map(iso)).toEqual([
      "2026-06-09T18:30:00.000Z",
      "2026-06-10T18:30:00.000Z",
      "2026-06-11T18:30:00.000Z",
      "2026-06-12T18:30:00.000Z",
    ]);
    expect(listBuckets(from, to, "day", "Asia/Kathmandu").map(iso)[0]).toBe("2026-06-09T18:15:00.000Z");
  });

  it("makes days 23 and 25 hours long across DST changes", () => {
    const spring = listBuckets(Date.parse("2026-03-29T00:00:00Z"), Date.parse("2026-03-30T00:00:00Z"), "day", "Europe/Paris");
    expect(spring.map(iso)).toEqual(["2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z", "2026-03-30T22:00:00.000Z"]);
    const autumn = listBuckets(Date.parse("2026-10-25T12:00:00Z"), Date.parse("2026-10-25T13:00:00Z"), "day", "Europe/Paris");
    expect(autumn[1]! - autumn[0]!).toBe(25 * 3_600_000);
  });

  it("starts hours at local hour starts, at :30 past UTC in Kolkata", () => {
    const hours = listBuckets(Date.parse("2026-06-10T10:10:00Z"), Date.parse("2026-06-10T12:00:00Z"), "hour", "Asia/Kolkata");
    expect(hours.map(iso)).toEqual([
      "2026-06-10T09:30:00.000Z",
      "2026-06-10T10:30:00.000Z",
      "2026-06-10T11:30:00.000Z",
      "2026-06-10T12:30:00.000Z",
    ]);
  });

  it("keeps UTC hours and days on UTC boundaries", () => {
    const days = listBuckets(Date.parse("2026-06-10T05:00:00Z"), Date.parse("2026-06-11T00:00:00Z"), "day", "UTC");
    expect(days.map(iso)).toEqual(["2026-06-10T00:00:00.000Z", "2026-06-11T00:00:00.000Z"]);
  });
});

describe("zoneOffsetMs", () => {
  it("reads fractional offsets", () => {
    expect(zoneOffsetMs("Asia/Kathmandu", Date.parse("2026-01-01T00:00:00Z"))).toBe((5 * 60 + 45) * 60_000);
    expect(zoneOffsetMs("America/St_Johns", Date.parse("2026-01-01T00:00:00Z"))).toBe(-(3 * 60 + 30) * 60_000);
  });
});
