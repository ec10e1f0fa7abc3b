/**
 * analytics.entryExitPages: per visit (a session with a page_view in the range; with filters, one with a matching
 * event), the path of its first (entry) or last (exit) page_view in the range, page views ordered by timestamp then
 * path in code-point order; the paths ranked by visits, then path. A procedure rather than a breakdown dimension:
 * the value belongs to the visit, not to an event, so it cannot be filtered on or rolled up like one. The engine
 * answers it (visit-metrics.ts entryExitPages); while it does not serve the project, one statement over raw events.
 */
import { sql } from "drizzle-orm";
import { type AnalyticsInput, type EntryExitRow, resolveRange } from "../../shared/analytics.ts";
import { type Database, queryRows } from "../db/client.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { PAGE_VIEW } from "./engine/visit-metrics.ts";
import { filtersSql } from "./event-filter-sql.ts";

const iso = (ms: number) => new Date(ms).toISOString();

export async function getEntryExitPages(
  db: Database,
  input: AnalyticsInput & { side: "entry" | "exit"; limit?: number | undefined; includeMissing?: boolean | undefined },
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<EntryExitRow[]> {
  const { from, to } = resolveRange(input, now);
  const limit = input.limit ?? 10;
  const includeMissing = input.includeMissing === true;
  if (engine) {
    const group = { from: from.getTime(), to: to.getTime() };
    const rows = await engine.entryExitPages(db, input.projectId, group, input.filters ?? [], {
      side: input.side,
      limit,
      includeMissing,
    });
    if (rows) return rows;
  }
  const order =
    input.side === "entry"
      ? sql`session_id, timestamp, value collate "C"`
      : sql`session_id, timestamp desc, value collate "C" desc`;
  const rows = await queryRows<{ value: string; visits: string }>(
    db,
    sql`with range_events as (
          select nullif(e.session_id, '') as session_id, e.timestamp, e.event_name, coalesce(e.path, '') as value,
                 (${filtersSql(input.filters)}) as matched
            from events e
           where e.project_id = ${input.projectId}::uuid
             and e.timestamp >= ${iso(from.getTime())}::timestamptz and e.timestamp < ${iso(to.getTime())}::timestamptz
        ), matched as (
          select distinct session_id from range_events where matched and session_id is not null
        ), ends as (
          select distinct on (session_id) session_id, value from range_events
           where event_name = ${PAGE_VIEW} and session_id in (select session_id from matched)
           order by ${order}
        )
        select value, count(*) as visits from ends where ${includeMissing}::boolean or value <> ''
         group by 1 order by 2 desc, value collate "C" limit ${limit}`,
  );
  return rows.map((row) => ({ value: row.value, visits: Number(row.visits) }));
}
