/**
 * analytics.breakdown: the most frequent values of a dimension, each with its events, page views, exact unique
 * sessions and people. The query engine answers it in one pass over the range (page views need each event's name
 * beside its value, which no rollup keeps); while the engine does not serve the project (upgrade backfill), one
 * GROUP BY over raw events does. Events lacking the value are left out, or ranked as the value "" with
 * `includeMissing`. Rows rank by events, or by page views with `orderBy: "pageviews"` (then events), then value.
 */
import { sql } from "drizzle-orm";
import { type AnalyticsInput, type BreakdownRow, resolveRange } from "../../shared/analytics.ts";
import type { Dimension } from "../../shared/dimensions.ts";
import { type Database, queryRows } from "../db/client.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { PAGE_VIEW } from "./engine/visit-metrics.ts";
import { dimensionSql, filtersSql } from "./event-filter-sql.ts";
import { personOfSql } from "./grouped-stats-sql.ts";

const iso = (ms: number) => new Date(ms).toISOString();

export async function getBreakdown(
  db: Database,
  input: AnalyticsInput & {
    dimension: Dimension;
    limit?: number | undefined;
    includeMissing?: boolean | undefined;
    orderBy?: "count" | "pageviews" | undefined;
  },
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<BreakdownRow[]> {
  const { from, to } = resolveRange(input, now);
  const limit = input.limit ?? 10;
  const includeMissing = input.includeMissing === true;
  const byPageviews = input.orderBy === "pageviews";
  if (engine) {
    const group = { from: from.getTime(), to: to.getTime() };
    const want = { sessions: true, people: true };
    const rows = await engine.topValues(db, input.projectId, group, input.filters ?? [], input.dimension, limit, want, {
      pageviews: true,
      includeMissing,
      byPageviews,
    });
    if (rows) {
      return rows.map((row) => ({
        value: row.value,
        count: row.events,
        pageviews: row.pageviews ?? 0,
        uniqueSessions: row.sessions,
        uniqueUsers: row.people,
      }));
    }
  }
  const rows = await queryRows<{ value: string; events: string; views: string; sessions: string; users: string }>(
    db,
    sql`select value, count(*) as events, count(*) filter (where event_name = ${PAGE_VIEW}) as views,
               count(distinct session_id) as sessions, count(distinct coalesce(person_of.person, distinct_id)) as users
          from (select coalesce(${dimensionSql(input.dimension)}, '') as value, e.event_name,
                       nullif(e.session_id, '') as session_id, nullif(e.distinct_id, '') as distinct_id
                  from events e
                 where e.project_id = ${input.projectId}::uuid and e.timestamp >= ${iso(from.getTime())}::timestamptz
                   and e.timestamp < ${iso(to.getTime())}::timestamptz and ${filtersSql(input.filters)}) matching
          left join (${personOfSql(input.projectId)}) person_of on person_of.alias = matching.distinct_id
         where ${includeMissing}::boolean or value <> ''
         group by value order by ${byPageviews ? sql`views desc, ` : sql``}events desc, value collate "C" limit ${limit}`,
  );
  return rows.map((row) => ({
    value: row.value,
    count: Number(row.events),
    pageviews: Number(row.views),
    uniqueSessions: Number(row.sessions),
    uniqueUsers: Number(row.users),
  }));
}
