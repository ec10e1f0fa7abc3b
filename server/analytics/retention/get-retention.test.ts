/**
 * analytics.retention against the retention oracle (test-support/retention-oracle.ts: plain JS over the raw events,
 * people through the alias map, local intervals from PostgreSQL's time zone arithmetic), on PostgreSQL and PGlite:
 * cohorts by first-ever start event, day and week intervals across a DST change and in half-hour zones, the current
 * interval partial, linked ids once.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import { retentionInputSchema } from "../../../shared/retention.ts";
import { seededRandom, shuffled, storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import {
  type DatabaseKind,
  fetchOracleEvents,
  openProjectDatabase,
  oracleIntervalNumber,
  oracleIntervalStarts,
  type TestProjectDatabase,
} from "../../test-support/journeys-oracle.ts";
import { oracleRetention } from "../../test-support/retention-oracle.ts";
import { QueryEngine } from "../engine/query-engine.ts";
import { getRetention } from "./get-retention.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
// Data from 2026-02-16 to 2026-05-10: Europe/Berlin changes to summer time on Sunday 2026-03-29 (a 167-hour week).
const DATA_FROM = Date.UTC(2026, 1, 16);
const DATA_DAYS = 83;
const FROM = Date.UTC(2026, 2, 1, 12);
const TO = Date.UTC(2026, 3, 10);
// "Now" on a Wednesday morning, with events after it: the current day and week are partial.
const NOW = Date.UTC(2026, 3, 15, 10, 30);
const NAMES = ["page_view", "page_view", "signup", "purchase", "button_click"];

function seedEvents(projectId: string) {
  const random = seededRandom(42);
  const rows = [];
  for (let u = 0; u < 60; u++) {
    // Some people start anonymous and are identified later: their anonymous events are theirs.
    const anonymous = u % 5 === 0 ? `anon-${u}` : null;
    const firstDay = Math.floor(random() * DATA_DAYS);
    const visits = 1 + Math.floor(random() * 12);
    for (let v = 0; v < visits; v++) {
      const day = Math.min(DATA_DAYS - 1, firstDay + Math.floor(random() * 40));
      const at = DATA_FROM + day * DAY + Math.floor(random() * DAY);
      const distinctId = anonymous && v < visits / 2 ? anonymous : `user-${u}`;
      for (let e = 0; e < 1 + Math.floor(random() * 3); e++) {
        rows.push(
          testEvent(projectId, {
            at: at + e * 60_000,
            distinctId,
            sessionId: `s-${u}-${v}`,
            eventName: NAMES[Math.floor(random() * NAMES.length)]!,
            path: random() < 0.5 ? "/pricing" : "/docs",
          }),
        );
      }
    }
    if (anonymous) {
      const at = DATA_FROM + Math.min(DATA_DAYS - 1, firstDay + 20) * DAY;
      rows.push(
        testEvent(projectId, {
          at,
          distinctId: `user-${u}`,
          eventName: "$identify",
          properties: { $anon_distinct_id: anonymous },
        }),
      );
    }
  }
  // Around Berlin's local midnight of Monday 2026-03-09 (23:00Z): a second apart, in two different weeks.
  const midnight = Date.UTC(2026, 2, 8, 23);
  rows.push(testEvent(projectId, { at: midnight - 1000, distinctId: "edge-a", eventName: "signup" }));
  rows.push(testEvent(projectId, { at: midnight, distinctId: "edge-b", eventName: "signup" }));
  rows.push(testEvent(projectId, { at: midnight + 7 * DAY - 1000, distinctId: "edge-b", eventName: "purchase" }));
  // A signup before the range keeps this person out of every cohort in it.
  rows.push(testEvent(projectId, { at: FROM - 3 * DAY, distinctId: "early", eventName: "signup" }));
  rows.push(testEvent(projectId, { at: FROM + 3 * DAY, distinctId: "early", eventName: "signup" }));
  rows.push(testEvent(projectId, { at: FROM + 10 * DAY, distinctId: "early", eventName: "purchase" }));
  // Events without a person count for nobody.
  rows.push(testEvent(projectId, { at: FROM + 2 * DAY, distinctId: null, sessionId: "nobody", eventName: "signup" }));
  return rows;
}

const CASES: Array<{ name: string; zone: string; input: Record<string, unknown>; filters?: AnalyticsFilter[] }> = [
  { name: "weekly, any event, across the DST change", zone: "Europe/Berlin", input: { interval: "week", periods: 8 } },
  {
    name: "daily, signup then purchase",
    zone: "Europe/Berlin",
    input: { interval: "day", periods: 10, startEvent: "signup", returnEvent: "purchase" },
  },
  {
    name: "weekly in a -03:30 zone with a filter",
    zone: "America/St_Johns",
    input: { interval: "week", periods: 5, startEvent: "signup" },
    filters: [{ dimension: "path", op: "eq", value: "/pricing" }],
  },
  { name: "daily in a +05:30 zone, 30 periods", zone: "Asia/Kolkata", input: { interval: "day", periods: 30 } },
  {
    name: "weekly with neq, contains and in filters",
    zone: "UTC",
    input: { interval: "week", periods: 6, returnEvent: "purchase" },
    filters: [
      { dimension: "path", op: "neq", value: "/docs" },
      { dimension: "browser", op: "contains", value: "chro" },
      { dimension: "event_name", op: "in", values: ["signup", "purchase", "page_view"] },
    ],
  },
];

describe.each(["postgres", "pglite"] as const)("retention on %s", (kind: DatabaseKind) => {
  let t: TestProjectDatabase;
  beforeAll(async () => {
    t = await openProjectDatabase(kind, "retention");
    const rows = shuffled(seedEvents(t.projectId));
    // Two deliveries, the second holding older events too (late events).
    await storeTestEvents(t.db, rows.slice(0, Math.floor(rows.length / 2)), 80);
    await storeTestEvents(t.db, rows.slice(Math.floor(rows.length / 2)), 80);
  }, 120_000);
  afterAll(async () => t.close());

  for (const c of CASES) {
    it(`matches the raw events: ${c.name}`, async () => {
      const input = retentionInputSchema.parse({
        projectId: t.projectId,
        from: iso(FROM),
        to: iso(TO),
        timezone: c.zone,
        filters: c.filters,
        ...c.input,
      });
      const engine = new QueryEngine({ cacheBytes: 16 << 20 });
      const answer = await getRetention(t.db, input, NOW, engine);
      const unit = input.interval;
      const expected = oracleRetention(
        await fetchOracleEvents(t.db, t.projectId, c.zone, c.filters),
        await oracleIntervalStarts(t.db, FROM, TO, unit, c.zone),
        NOW,
        await oracleIntervalNumber(t.db, NOW, unit, c.zone),
        input,
      );
      expect(answer).toEqual(expected);
      expect(answer!.cohorts.some((cohort) => cohort.size > 0 && cohort.returned.slice(1).some((n) => n > 0))).toBe(
        true,
      );
    }, 60_000);
  }

  it("puts the week across the DST change at Monday local midnight, 167 hours long", async () => {
    const input = retentionInputSchema.parse({
      projectId: t.projectId,
      from: iso(Date.UTC(2026, 2, 20)),
      to: iso(Date.UTC(2026, 3, 1)),
      timezone: "Europe/Berlin",
      interval: "week",
      periods: 2,
    });
    const answer = await getRetention(t.db, input, NOW, new QueryEngine({ cacheBytes: 16 << 20 }));
    expect(answer!.cohorts.map((cohort) => cohort.start)).toEqual([
      "2026-03-22T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
    ]);
  });

  it("leaves out people whose first start event is before the range and counts linked ids once", async () => {
    const input = retentionInputSchema.parse({
      projectId: t.projectId,
      from: iso(FROM),
      to: iso(TO),
      interval: "week",
      periods: 4,
      startEvent: "signup",
    });
    const answer = await getRetention(t.db, input, NOW, new QueryEngine({ cacheBytes: 16 << 20 }));
    const events = await fetchOracleEvents(t.db, t.projectId, "UTC");
    const signedUp = new Set(events.filter((e) => e.name === "signup" && e.person !== null).map((e) => e.person));
    const firstInRange = new Set(
      [...signedUp].filter((p) => {
        const first = events.find((e) => e.person === p && e.name === "signup")!;
        // Weeks starting in the range: Monday 2026-03-02 to the week of Monday 2026-04-06, which ends on 04-13.
        return first.ts >= Date.UTC(2026, 2, 2) && first.ts < Date.UTC(2026, 3, 13);
      }),
    );
    expect(answer!.cohorts.reduce((sum, cohort) => sum + cohort.size, 0)).toBe(firstInRange.size);
    expect(firstInRange.size).toBeLessThan(signedUp.size);
    // Counting raw ids instead of people gives other cohorts: the links matter in this data, and are applied.
    const ids = new Map<string, number>();
    const byId = events.map((e) => ({
      ...e,
      person: e.distinctId === null ? null : (ids.get(e.distinctId) ?? ids.set(e.distinctId, ids.size).size - 1),
    }));
    const starts = await oracleIntervalStarts(t.db, FROM, TO, "week", "UTC");
    const nowNumber = await oracleIntervalNumber(t.db, NOW, "week", "UTC");
    expect(answer).toEqual(oracleRetention(events, starts, NOW, nowNumber, input));
    expect(answer).not.toEqual(oracleRetention(byId, starts, NOW, nowNumber, input));
  });

  it("shows only the intervals that have started, the current one counted up to now", async () => {
    const input = retentionInputSchema.parse({
      projectId: t.projectId,
      from: iso(Date.UTC(2026, 3, 6)),
      to: iso(Date.UTC(2026, 3, 14)),
      interval: "day",
      periods: 10,
    });
    const answer = await getRetention(t.db, input, NOW, new QueryEngine({ cacheBytes: 16 << 20 }));
    // 2026-04-06 .. 04-13 in UTC; now is 04-15 10:30, so the 04-06 cohort has days 0..9, the 04-13 one days 0..2.
    expect(answer!.cohorts.map((cohort) => cohort.returned.length)).toEqual([10, 9, 8, 7, 6, 5, 4, 3]);
  });
});
