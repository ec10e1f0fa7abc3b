import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";

/** One stored event of a person, every column as stored (properties as JSON text); `cursor_ts` carries the keyset. */
export interface PersonExportRow extends Record<string, unknown> {
  insert_id: string;
  cursor_ts: string;
  properties: string;
}

/** Where the previous chunk of one id ended. */
export interface PersonExportCursor {
  timestamp: string;
  insertId: string;
}

/**
 * The next `limit` events of one id of the person in (timestamp, insert_id) order after `after`: one range of
 * events_project_distinct_timestamp_idx (read backwards), never an OFFSET, so every chunk costs the same.
 */
export async function readPersonExportChunk(
  db: Database,
  input: { projectId: string; distinctId: string },
  after: PersonExportCursor | null,
  limit: number,
): Promise<PersonExportRow[]> {
  const keyset = after
    ? sql`and (e."timestamp", e.insert_id) > (${after.timestamp}::timestamptz, ${after.insertId}::text)`
    : sql``;
  return queryRows<PersonExportRow>(
    db,
    sql`select e.insert_id, e.event_name, e.distinct_id, e.session_id,
               to_char(e."timestamp" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as timestamp,
               to_char(e.received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as received_at,
               e.properties::text as properties, e.page_url, e.path, e.host, e.referrer, e.referrer_host,
               e.utm_source, e.utm_medium, e.utm_campaign, e.user_agent, e.browser, e.os, e.device, e.ip_hash,
               e.country, e."timestamp"::text as cursor_ts
          from events e
         where e.project_id = ${input.projectId}::uuid and e.distinct_id = ${input.distinctId} ${keyset}
         order by e."timestamp", e.insert_id
         limit ${limit}`,
  );
}
