/**
 * The visit metrics (shared/analytics.ts VisitTotals) as plain SQL over raw events, for tests: written apart from
 * server/analytics/get-visit-totals.ts (correlated subqueries per visit instead of one GROUP BY with bool_or), so a
 * shared mistake is unlikely. `matching` is the filters as plain SQL over `events` columns (the filter oracle's
 * oracleFilterSql, ANDed; kept as a parameter so the two oracles do not import each other).
 */
import { expect } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import type { VisitTotals } from "../../shared/analytics.ts";
import { type Database, queryRows } from "../db/client.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** The visit metrics of [from, to) for the visits with an event `matching`, straight from the events table. */
export async function oracleVisitTotals(
  db: Database,
  projectId: string,
  from: number,
  to: number,
  matching: SQL = sql`true`,
): Promise<VisitTotals> {
  const [row] = await queryRows<Record<string, string | number | null>>(
    db,
    sql`with r as (
          select * from events
           where project_id = ${projectId}::uuid
             and timestamp >= ${iso(from)}::timestamptz and timestamp < ${iso(to)}::timestamptz
        ), visit as (
          select distinct session_id from r
           where session_id is not null and session_id <> '' and event_name = 'page_view'
             and session_id in (select session_id from r where ${matching})
        ), measured as (
          select (select count(*) from r where r.session_id = visit.session_id and r.event_name = 'page_view') as views,
                 (select count(*) from r where r.session_id = visit.session_id
                     and r.event_name not in ('page_view', 'identify', '$identify')) as others,
                 (select extract(epoch from max(r.timestamp) - min(r.timestamp)) from r
                   where r.session_id = visit.session_id)::float8 as seconds
            from visit
        )
        select (select count(*) from r where event_name = 'page_view' and ${matching}) as pageviews,
               count(*) as visits, sum(views) as views, count(*) filter (where views = 1 and others = 0) as bounces,
               avg(seconds) as mean, percentile_cont(0.5) within group (order by seconds) as median
          from measured`,
  );
  const visits = Number(row!.visits);
  return {
    visits,
    pageviews: Number(row!.pageviews),
    viewsPerVisit: visits ? Number(row!.views) / visits : 0,
    bounceRate: visits ? Number(row!.bounces) / visits : 0,
    visitDurationMeanSeconds: visits ? Number(row!.mean) : 0,
    visitDurationMedianSeconds: visits ? Number(row!.median) : 0,
  };
}

/**
 * Entry (or exit) pages of [from, to) for the visits with an event `matching`: each such session's first (last)
 * page view in the range, ties by path in code point order, a missing path as "" (left out unless includeMissing).
 */
export async function oracleEntryExit(
  db: Database,
  projectId: string,
  from: number,
  to: number,
  side: "entry" | "exit",
  matching: SQL = sql`true`,
  includeMissing = false,
  limit = 100,
): Promise<Array<{ value: string; visits: number }>> {
  const direction = side === "entry" ? sql`` : sql` desc`;
  const rows = await queryRows<{ value: string; visits: number }>(
    db,
    sql`with r as (
          select * from events where project_id = ${projectId}::uuid
             and timestamp >= ${iso(from)}::timestamptz and timestamp < ${iso(to)}::timestamptz
        ), ranked as (
          select session_id, coalesce(path, '') as value,
                 row_number() over (partition by session_id
                   order by timestamp${direction}, coalesce(path, '') collate "C"${direction}) as n
            from r where event_name = 'page_view' and session_id is not null
             and session_id in (select session_id from r where ${matching})
        )
        select value, count(*)::int as visits from ranked where n = 1 and (${includeMissing}::boolean or value <> '')
         group by value order by visits desc, value collate "C" limit ${limit}`,
  );
  return rows.map((r) => ({ value: r.value, visits: Number(r.visits) }));
}

/**
 * The visit fields of `actual` equal `expected`: counts exactly, ratios and seconds within 1e-6 (the engine sums in
 * float64, PostgreSQL in numeric: the last digit of a mean may differ, so no decimal rounding, which flips at a 5).
 */
export function expectVisitTotals(actual: VisitTotals, expected: VisitTotals, label = ""): void {
  const FRACTIONAL = ["viewsPerVisit", "bounceRate", "visitDurationMeanSeconds", "visitDurationMedianSeconds"] as const;
  // Within tolerance, the expected value stands in for the actual one, so a miss shows both whole objects.
  const close = (key: (typeof FRACTIONAL)[number]) =>
    Math.abs(actual[key] - expected[key]) <= 1e-6 * Math.max(1, Math.abs(expected[key])) ? expected[key] : actual[key];
  const shown = { label, visits: actual.visits, pageviews: actual.pageviews };
  const want = { label, visits: expected.visits, pageviews: expected.pageviews };
  expect({ ...shown, ...Object.fromEntries(FRACTIONAL.map((key) => [key, close(key)])) }).toEqual({
    ...want,
    ...Object.fromEntries(FRACTIONAL.map((key) => [key, expected[key]])),
  });
}
