import { sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../shared/analytics.ts";
import type { ExportField } from "../../shared/export.ts";
import { type Database, queryRows } from "../db/client.ts";
import { filtersSql } from "./event-filter-sql.ts";

/** An exported event; `insert_id` and `cursor_ts` (the exact stored timestamp as text) only carry the keyset. */
export type ExportRow = Record<ExportField, string | null> & { insert_id: string; cursor_ts: string };

/** Where the previous chunk ended: the last row's `cursor_ts` and insert id. */
export interface ExportCursor {
  timestamp: string;
  insertId: string;
}

/**
 * One keyset chunk of a project's events in [from, to) matching the filters, in (timestamp, insert_id) order after
 * `after`: an index range read of events_project_timestamp_idx, never an OFFSET, so each chunk costs the same
 * however deep the export is. Timestamps come back as ISO 8601 UTC with milliseconds, properties as JSON text.
 */
export async function readExportChunk(
  db: Database,
  input: { projectId: string; from: Date; to: Date; filters?: readonly AnalyticsFilter[] | undefined },
  after: ExportCursor | null,
  limit: number,
): Promise<ExportRow[]> {
  const keyset = after
    ? sql`and (e."timestamp", e.insert_id) > (${after.timestamp}::timestamptz, ${after.insertId}::text)`
    : sql``;
  return queryRows<ExportRow>(
    db,
    sql`select to_char(e."timestamp" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as timestamp,
               e.event_name as event, e.distinct_id, e.session_id, e.page_url, e.path, e.host, e.referrer,
               e.referrer_host, e.utm_source, e.utm_medium, e.utm_campaign, e.browser, e.os, e.device, e.country,
               e.properties::text as properties, e.insert_id, e."timestamp"::text as cursor_ts
          from events e
         where e.project_id = ${input.projectId}::uuid
           and e."timestamp" >= ${input.from.toISOString()}::timestamptz
           and e."timestamp" < ${input.to.toISOString()}::timestamptz
           and ${filtersSql(input.filters)} ${keyset}
         order by e."timestamp", e.insert_id
         limit ${limit}`,
  );
}
