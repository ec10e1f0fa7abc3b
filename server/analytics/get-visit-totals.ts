/**
 * The visit metrics of overview (shared/analytics.ts VisitTotals; definitions in the README's "Web metrics") per time
 * group, exact over any range, with filters. The query engine answers them from its columns ($ts, $session,
 * event_name: one pass over the range's events, visit-metrics.ts); while it does not serve the project (upgrade
 * backfill), one statement over raw events does, grouping by session. No rollup can: a visit's duration and bounce
 * depend on its events inside the range only, and a visit may cross the range's edges.
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter, VisitTotals } from "../../shared/analytics.ts";
import { type Database, queryRows } from "../db/client.ts";
import type { QueryEngine, TimeGroup, VisitFigures } from "./engine/query-engine.ts";
import { medianOf, PAGE_VIEW } from "./engine/visit-metrics.ts";
import { filtersSql } from "./event-filter-sql.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** Visit metrics of each group, in the groups' order. */
export async function getVisitTotals(
  db: Database,
  projectId: string,
  groups: readonly TimeGroup[],
  filters: readonly AnalyticsFilter[] | undefined,
  engine: QueryEngine | null,
): Promise<VisitTotals[]> {
  if (engine) {
    const figures = await engine.visits(db, projectId, groups, filters ?? []);
    if (figures) return figures.map(visitTotalsFromFigures);
  }
  return Promise.all(groups.map((group) => visitTotalsFromEvents(db, projectId, group, filters)));
}

/** The visit metrics of the engine's figures (its durations are reordered: medianOf selects in place). */
export function visitTotalsFromFigures(f: VisitFigures): VisitTotals {
  return visitTotalsOf({
    visits: f.visits,
    pageviews: f.pageviews,
    visitPageviews: f.visitPageviews,
    bounces: f.bounces,
    durationSumMs: f.durations.reduce((sum, ms) => sum + ms, 0),
    durationMedianMs: medianOf(f.durations),
  });
}

interface VisitSums {
  visits: number;
  pageviews: number;
  visitPageviews: number;
  bounces: number;
  durationSumMs: number;
  durationMedianMs: number;
}

function visitTotalsOf(s: VisitSums): VisitTotals {
  return {
    visits: s.visits,
    pageviews: s.pageviews,
    viewsPerVisit: s.visits === 0 ? 0 : s.visitPageviews / s.visits,
    bounceRate: s.visits === 0 ? 0 : s.bounces / s.visits,
    visitDurationMeanSeconds: s.visits === 0 ? 0 : s.durationSumMs / s.visits / 1000,
    visitDurationMedianSeconds: s.durationMedianMs / 1000,
  };
}

/** The same figures from raw events: sessions grouped in SQL (the fallback while the engine is backfilling). */
async function visitTotalsFromEvents(
  db: Database,
  projectId: string,
  group: TimeGroup,
  filters: readonly AnalyticsFilter[] | undefined,
): Promise<VisitTotals> {
  const matched: SQL = filters?.length ? filtersSql(filters) : sql`true`;
  const [row] = await queryRows<Record<string, string | number | null>>(
    db,
    sql`with range_events as (
          select nullif(e.session_id, '') as session_id, e.timestamp, e.event_name, (${matched}) as matched
            from events e
           where e.project_id = ${projectId}::uuid
             and e.timestamp >= ${iso(group.from)}::timestamptz and e.timestamp < ${iso(group.to)}::timestamptz
        ), visits as (
          select count(*) filter (where event_name = ${PAGE_VIEW}) as views,
                 bool_or(event_name is null or event_name not in (${PAGE_VIEW}, 'identify', '$identify')) as active,
                 bool_or(matched) as matched,
                 extract(epoch from max(timestamp) - min(timestamp)) * 1000 as duration_ms
            from range_events where session_id is not null group by session_id
        )
        select (select count(*) from range_events where event_name = ${PAGE_VIEW} and matched) as pageviews,
               count(*) as visits,
               coalesce(sum(views), 0) as visit_pageviews,
               count(*) filter (where views = 1 and not active) as bounces,
               coalesce(sum(duration_ms), 0)::float8 as duration_sum_ms,
               coalesce(percentile_cont(0.5) within group (order by duration_ms), 0)::float8 as duration_median_ms
          from visits where views > 0 and matched`,
  );
  return visitTotalsOf({
    visits: Number(row?.visits ?? 0),
    pageviews: Number(row?.pageviews ?? 0),
    visitPageviews: Number(row?.visit_pageviews ?? 0),
    bounces: Number(row?.bounces ?? 0),
    durationSumMs: Number(row?.duration_sum_ms ?? 0),
    durationMedianMs: Number(row?.duration_median_ms ?? 0),
  });
}
