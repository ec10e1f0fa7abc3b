/**
 * countCohorts' shortcut (a segment inside one interval is walked by its distinct users, cached) against its event
 * walk: the same random events cut into many small segments (most inside one interval) and into one segment across
 * every interval (events walked one by one) must give the same triangle, for any event and for named start and
 * return events, with linked ids. The event walk itself is held to the raw events by get-retention.test.ts.
 */
import { describe, expect, it } from "bun:test";
import { seededRandom } from "../../test-support/analytics-test-data.ts";
import { type Column, DICTIONARY } from "../engine/column-codec.ts";
import type { Members, ScannedSegment } from "../engine/query-engine.ts";
import { countCohorts } from "./get-retention.ts";
import { listIntervals } from "./retention-intervals.ts";

const DAY = 86_400_000;
const FROM = Date.UTC(2026, 2, 2);
const NAMES = ["page_view", "signup", "purchase"];

function events(count: number, users: number) {
  const random = seededRandom(7);
  // Each user arrives on a day of their own (some before the range) and comes back over the next 40 days.
  const arrival = Array.from({ length: users }, () => FROM - 20 * DAY + Math.floor(random() * 90 * DAY));
  const list = Array.from({ length: count }, () => {
    const user = Math.floor(random() * users);
    return {
      ts: arrival[user]! + Math.floor(random() * random() * 40 * DAY),
      user: random() < 0.05 ? -1 : user,
      name: 1 + Math.floor(random() * NAMES.length),
    };
  });
  return list.sort((a, b) => a.ts - b.ts);
}

function segmentsOf(list: ReturnType<typeof events>, size: number): ScannedSegment[] {
  const segments: ScannedSegment[] = [];
  for (let at = 0; at < list.length; at += size) {
    const part = list.slice(at, at + size);
    const ts = Float64Array.from(part, (e) => e.ts);
    const names: Column = { kind: DICTIONARY, entries: NAMES, codes: Uint8Array.from(part, (e) => e.name) };
    segments.push({
      info: { id: segments.length, minTs: ts[0]!, maxTs: ts[ts.length - 1]!, count: ts.length },
      ts,
      filterColumns: [],
      sessions: new Int32Array(ts.length),
      users: Int32Array.from(part, (e) => e.user),
      values: null,
      column: (name) => (name === "event_name" ? names : null),
    });
  }
  return segments;
}

describe("countCohorts", () => {
  const users = 1_000;
  const list = events(20_000, users);
  // Users 1..9 are aliases of 10..18 (linked ids): one person each.
  const personOf = Int32Array.from({ length: users + 1 }, (_, u) => (u >= 1 && u <= 9 ? u + 9 : u));
  const members: Members = { personOf, sessionSpace: 0, userSpace: users };
  const cases = [
    { label: "weekly, any event", interval: "week" as const, periods: 8, start: undefined, ret: undefined },
    { label: "daily, signup then purchase", interval: "day" as const, periods: 20, start: "signup", ret: "purchase" },
    { label: "weekly, a name no event has", interval: "week" as const, periods: 4, start: "nope", ret: undefined },
  ];
  for (const c of cases) {
    it(`walks segments inside one interval by their distinct users, as their events would: ${c.label}`, () => {
      const to = FROM + 60 * DAY;
      const end = FROM + 75 * DAY;
      const starts = listIntervals(FROM, end, c.interval, "UTC");
      const cohorts = starts.flatMap((start, i) => (start >= FROM && start < to ? [i] : []));
      const question = {
        filters: [],
        starts,
        firstCohort: cohorts[0]!,
        lastCohort: cohorts.at(-1)!,
        periods: c.periods,
        end,
        startEvent: c.start,
        returnEvent: c.ret,
      };
      const walked = countCohorts(segmentsOf(list, list.length), members, question);
      // About 180 events a day: segments of 50 mostly fall inside one day or week.
      const small = segmentsOf(list, 50);
      expect(countCohorts(small, members, question)).toEqual(walked);
      // Warm: the distinct users come from the cache.
      expect(countCohorts(small, members, question)).toEqual(walked);
      if (c.start !== "nope") expect(walked.some((row) => row[0]! > 0 && row.slice(1).some((n) => n > 0))).toBe(true);
    });
  }
});
