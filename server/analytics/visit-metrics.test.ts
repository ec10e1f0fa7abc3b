import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../shared/analytics.ts";
import { queryRows } from "../db/client.ts";
import { generateTestEvents, shuffled, storeTestEvents, testEvent } from "../test-support/analytics-test-data.ts";
import { DATABASE_KINDS, type EitherDatabase, openEitherDatabase } from "../test-support/either-database.ts";
import { oracleDimensionSql, oracleFilterSql } from "../test-support/filter-oracle.ts";
import { expectVisitTotals, oracleEntryExit, oracleVisitTotals } from "../test-support/visit-oracle.ts";
import { QueryEngine } from "./engine/query-engine.ts";
import { getBreakdown } from "./get-breakdown.ts";
import { getEntryExitPages } from "./get-entry-exit-pages.ts";
import { getOverview } from "./get-overview.ts";

// Visit metrics, entry and exit pages and breakdown's page views and missing bucket, against plain SQL over raw
// events, on both databases, from the engine and from the raw-events fallback (engine null, as while backfilling).
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BASE = Date.UTC(2026, 2, 1);
const FROM = BASE + DAY + 3 * HOUR + 7 * MINUTE;
const TO = BASE + 3 * DAY - 5 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

/** Hand-made visits at and around the range's edges, next to the generated data. */
function edgeEvents(projectId: string) {
  const at = (ms: number, fields: Omit<Parameters<typeof testEvent>[1], "at">) =>
    testEvent(projectId, { ...fields, at: ms });
  return [
    // Starts before the range: only its events inside count (2 page views, 10 minutes).
    at(FROM - 5 * MINUTE, { sessionId: "edge-start", path: "/before" }),
    at(FROM + 2 * MINUTE, { sessionId: "edge-start", path: "/inside-a" }),
    at(FROM + 12 * MINUTE, { sessionId: "edge-start", path: "/inside-b" }),
    // Ends after the range: one page view inside, so it bounces in the range.
    at(TO - MINUTE, { sessionId: "edge-end", path: "/late" }),
    at(TO + MINUTE, { sessionId: "edge-end", eventName: "signup", path: "/late" }),
    // One page view and identify calls only: a bounce of 3 minutes.
    at(FROM + HOUR, { sessionId: "identify-only", path: "/welcome", distinctId: "u-identify" }),
    at(FROM + HOUR + 3 * MINUTE, { sessionId: "identify-only", eventName: "$identify", distinctId: "u-identify" }),
    at(FROM + HOUR + 3 * MINUTE, { sessionId: "identify-only", eventName: "identify", distinctId: "u-identify" }),
    // One page view and a click: not a bounce.
    at(FROM + 2 * HOUR, { sessionId: "clicked", path: "/welcome" }),
    at(FROM + 2 * HOUR + 30_000, { sessionId: "clicked", eventName: "button_click", path: "/welcome" }),
    // No page view in the range: not a visit.
    at(FROM + 3 * HOUR, { sessionId: "no-view", eventName: "button_click", path: "/x" }),
    // Two page views at the same instant: entry and exit by path order; one without a path.
    at(FROM + 4 * HOUR, { sessionId: "tie", path: "/tie-b" }),
    at(FROM + 4 * HOUR, { sessionId: "tie", path: "/tie-a" }),
    at(FROM + 5 * HOUR, { sessionId: "pathless", path: null }),
    // Backend events: no session, never a visit; the page view still counts in pageviews.
    at(FROM + 6 * HOUR, { sessionId: null, path: "/server" }),
    at(FROM + 6 * HOUR, { sessionId: null, eventName: "invoice_paid" }),
  ];
}

const FILTER_CASES: Array<[string, AnalyticsFilter[]]> = [
  ["no filters", []],
  ["path eq", [{ dimension: "path", op: "eq", value: "/pricing" }]],
  ["event_name eq signup", [{ dimension: "event_name", op: "eq", value: "signup" }]],
  ["path neq", [{ dimension: "path", op: "neq", value: "/pricing" }]],
  [
    "browser and property",
    [
      { dimension: "browser", op: "eq", value: "Chrome" },
      { dimension: "property:plan", op: "eq", value: "pro" },
    ],
  ],
  ["path not_set", [{ dimension: "path", op: "not_set" }]],
];

function matchingSql(filters: AnalyticsFilter[]): SQL {
  return filters.length ? sql.join(filters.map(oracleFilterSql), sql` and `) : sql`true`;
}

async function oracleBreakdown(
  d: EitherDatabase,
  projectId: string,
  dimension: string,
  filters: AnalyticsFilter[],
  byViews = false,
) {
  const column = oracleDimensionSql(dimension);
  const rows = await queryRows<Record<string, string | number>>(
    d.db,
    sql`select value, count(*)::int as n, sum(case when event_name = 'page_view' then 1 else 0 end)::int as views,
               count(distinct session_id)::int as s, count(distinct distinct_id)::int as u
          from (select coalesce(${column}, '') as value, event_name, session_id, distinct_id from events
                 where project_id = ${projectId}::uuid
                   and timestamp >= ${iso(FROM)}::timestamptz and timestamp < ${iso(TO)}::timestamptz
                   and ${matchingSql(filters)}) matching
         group by value order by ${byViews ? sql`views desc, ` : sql``}n desc, value collate "C" limit 100`,
  );
  return rows.map((r) => ({
    value: String(r.value),
    count: Number(r.n),
    pageviews: Number(r.views),
    uniqueSessions: Number(r.s),
    uniqueUsers: Number(r.u),
  }));
}

for (const kind of DATABASE_KINDS) {
  describe(`visit metrics on ${kind}`, () => {
    let d: EitherDatabase;
    let projectId: string;
    beforeAll(async () => {
      d = await openEitherDatabase(kind);
      projectId = await d.createProject("visits");
      const rows = [...shuffled(generateTestEvents(projectId, BASE, 4, 5)), ...edgeEvents(projectId)];
      await storeTestEvents(d.db, rows, 250);
    }, 120_000);
    afterAll(async () => {
      await d.close();
    });

    for (const [path, engineOf] of [
      ["the engine", () => new QueryEngine({ cacheBytes: 64 * 1024 * 1024 })],
      ["raw events", () => null],
    ] as const) {
      for (const [name, filters] of FILTER_CASES) {
        it(`overview equals plain SQL (${name}, from ${path}), previous period included`, async () => {
          const overview = await getOverview(
            d.db,
            { projectId, from: iso(FROM), to: iso(TO), filters },
            TO,
            engineOf(),
          );
          const current = await oracleVisitTotals(d.db, projectId, FROM, TO, matchingSql(filters));
          expect(current.visits).toBeGreaterThan(0);
          expectVisitTotals(overview, current, "current");
          const before = await oracleVisitTotals(d.db, projectId, 2 * FROM - TO, FROM, matchingSql(filters));
          expectVisitTotals(overview.previous, before, "previous");
        });

        for (const side of ["entry", "exit"] as const) {
          it(`${side} pages equal plain SQL (${name}, from ${path})`, async () => {
            for (const includeMissing of [false, true]) {
              const rows = await getEntryExitPages(
                d.db,
                { projectId, from: iso(FROM), to: iso(TO), filters, side, limit: 100, includeMissing },
                TO,
                engineOf(),
              );
              expect({ includeMissing, rows }).toEqual({
                includeMissing,
                rows: await oracleEntryExit(d.db, projectId, FROM, TO, side, matchingSql(filters), includeMissing),
              });
            }
          });
        }
      }

      for (const dimension of ["path", "referrer", "browser", "property:plan"] as const) {
        it(`breakdown by ${dimension} (includeMissing, orderBy pageviews) equals GROUP BY (from ${path})`, async () => {
          for (const [, filters] of FILTER_CASES.slice(0, 4)) {
            const input = { projectId, from: iso(FROM), to: iso(TO), dimension, filters, limit: 100 };
            const rows = await getBreakdown(d.db, { ...input, includeMissing: true }, TO, engineOf());
            const expected = await oracleBreakdown(d, projectId, dimension, filters);
            expect({ filters, rows }).toEqual({ filters, rows: expected });
            const without = await getBreakdown(d.db, input, TO, engineOf());
            expect({ filters, rows: without }).toEqual({ filters, rows: expected.filter((r) => r.value !== "") });
            const byViews = await getBreakdown(d.db, { ...input, orderBy: "pageviews" }, TO, engineOf());
            const expectedByViews = await oracleBreakdown(d, projectId, dimension, filters, true);
            expect({ filters, byViews }).toEqual({
              filters,
              byViews: expectedByViews.filter((r) => r.value !== ""),
            });
          }
        });
      }
    }

    it("counts the hand-made edge visits as defined", async () => {
      // Only the edge events, in a range holding nothing else: known answers, not just SQL agreeing with itself.
      const other = await d.createProject("edges");
      await storeTestEvents(d.db, edgeEvents(other), 100);
      for (const engine of [new QueryEngine({ cacheBytes: 1 << 24 }), null]) {
        const o = await getOverview(d.db, { projectId: other, from: iso(FROM), to: iso(TO) }, TO, engine);
        // Visits: edge-start, edge-end, identify-only, clicked, tie, pathless (no-view and backend events are not).
        expect(o.visits).toBe(6);
        // Page views: 2 + 1 + 1 + 1 + 2 + 1 in visits, and the backend one.
        expect(o.pageviews).toBe(9);
        expect(o.viewsPerVisit).toBeCloseTo(8 / 6, 9);
        // Bounces: edge-end (its signup lies after the range), identify-only, pathless.
        expect(o.bounceRate).toBeCloseTo(3 / 6, 9);
        // Durations 600, 0, 180, 30, 0, 0 s.
        expect(o.visitDurationMeanSeconds).toBeCloseTo(810 / 6, 9);
        expect(o.visitDurationMedianSeconds).toBe(15);
        const entry = await getEntryExitPages(
          d.db,
          { projectId: other, from: iso(FROM), to: iso(TO), side: "entry", includeMissing: true },
          TO,
          engine,
        );
        expect(entry).toEqual([
          { value: "/welcome", visits: 2 },
          { value: "", visits: 1 },
          { value: "/inside-a", visits: 1 },
          { value: "/late", visits: 1 },
          { value: "/tie-a", visits: 1 },
        ]);
        const exit = await getEntryExitPages(
          d.db,
          { projectId: other, from: iso(FROM), to: iso(TO), side: "exit" },
          TO,
          engine,
        );
        expect(exit).toEqual([
          { value: "/welcome", visits: 2 },
          { value: "/inside-b", visits: 1 },
          { value: "/late", visits: 1 },
          { value: "/tie-b", visits: 1 },
        ]);
      }
    });

    it("answers zeros for a range without visits", async () => {
      const o = await getOverview(
        d.db,
        { projectId, from: iso(BASE - 10 * DAY), to: iso(BASE - 9 * DAY) },
        TO,
        new QueryEngine({ cacheBytes: 1 << 20 }),
      );
      expect([o.visits, o.pageviews, o.viewsPerVisit, o.bounceRate, o.visitDurationMeanSeconds]).toEqual([
        0, 0, 0, 0, 0,
      ]);
      expect(o.visitDurationMedianSeconds).toBe(0);
    });
  });
}
