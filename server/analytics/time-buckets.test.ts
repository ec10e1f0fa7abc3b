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
    const spring = listBuckets(
      Date.parse("2026-03-29T00:00:00Z"),
      Date.parse("2026-03-30T00:00:00Z"),
      "day",
      "Europe/Paris",
    );
    expect(spring.map(iso)).toEqual([
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
      "2026-03-30T22:00:00.000Z",
    ]);
    const autumn = listBuckets(
      Date.parse("2026-10-25T12:00:00Z"),
      Date.parse("2026-10-25T13:00:00Z"),
      "day",
      "Europe/Paris",
    );
    expect(autumn[1]! - autumn[0]!).toBe(25 * 3_600_000);
  });

  it("starts hours at local hour starts, at :30 past UTC in Kolkata", () => {
    const hours = listBuckets(
      Date.parse("2026-06-10T10:10:00Z"),
      Date.parse("2026-06-10T12:00:00Z"),
      "hour",
      "Asia/Kolkata",
    );
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

/**
 * The truth, read minute by minute from Intl.DateTimeFormat alone (none of the code under test): a day bucket starts
 * at the first instant whose local date is that day; an hour bucket wherever the wall clock reads a whole hour, or
 * a new local hour begins by a jump (a 30-minute DST change can skip the :00 reading of an hour).
 */
const MINUTE_MS = 60_000;
const wallFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(zone: string, ms: number): { date: string; hour: number; minute: number } {
  let formatter = wallFormatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    wallFormatters.set(zone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(ms).map((part) => [part.type, part.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour), minute: Number(parts.minute) };
}

function trueBuckets(from: number, to: number, granularity: "hour" | "day", zone: string): number[] {
  const starts: number[] = [];
  // Far enough either side to hold the bucket around `from` and the one at `to`.
  const margin = (granularity === "day" ? 30 : 3) * 3_600_000;
  let before = wallClock(zone, from - margin - MINUTE_MS);
  for (let ms = from - margin; ms <= to + margin; ms += MINUTE_MS) {
    const now = wallClock(zone, ms);
    const isStart =
      granularity === "day"
        ? now.date !== before.date
        : now.minute === 0 || now.hour !== before.hour || now.date !== before.date;
    if (isStart) starts.push(ms);
    before = now;
  }
  // As listBuckets promises: from the bucket holding `from` to the first start at or after `to`.
  const first = starts.findLastIndex((start) => start <= from);
  const last = starts.findIndex((start) => start >= to);
  return starts.slice(first, last + 1);
}

describe("listBuckets on DST-change days, against Intl", () => {
  const H = 3_600_000;
  // Each change as Intl reports it for 2026 (see the expectations below): where and when the clocks move.
  const changes = [
    { zone: "America/Santiago", at: "2026-09-06T04:00:00Z", what: "midnight skipped: 24:00 -> 01:00" },
    { zone: "America/Santiago", at: "2026-04-05T03:00:00Z", what: "back from 24:00 to 23:00" },
    { zone: "America/Havana", at: "2026-03-08T05:00:00Z", what: "midnight skipped: 24:00 -> 01:00" },
    { zone: "America/Havana", at: "2026-11-01T05:00:00Z", what: "back from 01:00 to 00:00: midnight twice" },
    { zone: "Australia/Lord_Howe", at: "2026-10-03T15:30:00Z", what: "30 minutes forward: 02:00 -> 02:30" },
    { zone: "Australia/Lord_Howe", at: "2026-04-04T15:00:00Z", what: "30 minutes back: 02:00 -> 01:30" },
    { zone: "Europe/Paris", at: "2026-03-29T01:00:00Z", what: "an hour forward at 02:00" },
    { zone: "Europe/Paris", at: "2026-10-25T01:00:00Z", what: "an hour back at 03:00: 02:00 twice" },
  ];

  for (const { zone, at, what } of changes) {
    const change = Date.parse(at);
    it(`starts days at the first instant of each local date in ${zone} (${what})`, () => {
      const from = change - 2 * 24 * H;
      const to = change + 2 * 24 * H;
      expect(listBuckets(from, to, "day", zone).map(iso)).toEqual(trueBuckets(from, to, "day", zone).map(iso));
    });

    it(`starts hours at local hour starts in ${zone} (${what}), wherever the range starts`, () => {
      for (const fromChange of [-6 * H - 17 * 60_000, -50 * 60_000, -10 * 60_000, 0, 10 * 60_000, 40 * 60_000]) {
        const from = change + fromChange;
        const to = change + 6 * H;
        expect(listBuckets(from, to, "hour", zone).map(iso)).toEqual(trueBuckets(from, to, "hour", zone).map(iso));
      }
    });
  }

  it("starts the day at 01:00 local where midnight is skipped (Santiago, Havana)", () => {
    const santiago = listBuckets(
      Date.parse("2026-09-06T12:00:00Z"),
      Date.parse("2026-09-06T13:00:00Z"),
      "day",
      "America/Santiago",
    );
    expect(santiago.map(iso)).toEqual(["2026-09-06T04:00:00.000Z", "2026-09-07T03:00:00.000Z"]);
    expect(wallClock("America/Santiago", santiago[0]!)).toEqual({ date: "2026-09-06", hour: 1, minute: 0 });
    const havana = listBuckets(
      Date.parse("2026-03-08T12:00:00Z"),
      Date.parse("2026-03-08T13:00:00Z"),
      "day",
      "America/Havana",
    );
    expect(havana.map(iso)).toEqual(["2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"]);
    // The day before ends where that day starts: 23 hours long, with nothing lost in between.
    const saturday = listBuckets(
      Date.parse("2026-03-07T12:00:00Z"),
      Date.parse("2026-03-07T13:00:00Z"),
      "day",
      "America/Havana",
    );
    expect(saturday.map(iso)).toEqual(["2026-03-07T05:00:00.000Z", "2026-03-08T05:00:00.000Z"]);
  });

  it("makes Lord Howe's DST-change days 23.5 and 24.5 hours long", () => {
    const spring = listBuckets(
      Date.parse("2026-10-04T01:00:00Z"),
      Date.parse("2026-10-04T02:00:00Z"),
      "day",
      "Australia/Lord_Howe",
    );
    expect(spring.map(iso)).toEqual(["2026-10-03T13:30:00.000Z", "2026-10-04T13:00:00.000Z"]);
    expect(spring[1]! - spring[0]!).toBe(23.5 * H);
    const autumn = listBuckets(
      Date.parse("2026-04-05T01:00:00Z"),
      Date.parse("2026-04-05T02:00:00Z"),
      "day",
      "Australia/Lord_Howe",
    );
    expect(autumn[1]! - autumn[0]!).toBe(24.5 * H);
  });
});
