import { sql } from "drizzle-orm";
import type { LiveEvent } from "../../shared/ingest.ts";
import { type Database, queryRows } from "../db/client.ts";

/**
 * The `limit` events of a project with the latest `timestamp` up to `now`, newest first, in the live feed's shape
 * (what a socket opens with). Ties on the timestamp break by insert id so the answer is stable.
 */
export async function getLatestEvents(
  db: Database,
  input: { projectId: string; limit: number },
  now: number,
): Promise<LiveEvent[]> {
  const rows = await queryRows<{
    insert_id: string;
    event_name: string;
    distinct_id: string | null;
    session_id: string | null;
    properties: Record<string, unknown> | string | null;
    page_url: string | null;
    ts: string;
  }>(
    db,
    sql`select insert_id, event_name, distinct_id, session_id, properties, page_url,
               to_char("timestamp" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts
          from events
         where project_id = ${input.projectId}::uuid and "timestamp" <= ${new Date(now).toISOString()}::timestamptz
         order by "timestamp" desc, insert_id desc
         limit ${input.limit}`,
  );
  return rows.map((row) => ({
    insertId: row.insert_id,
    event: row.event_name,
    distinctId: row.distinct_id,
    sessionId: row.session_id,
    properties:
      typeof row.properties === "string"
        ? (JSON.parse(row.properties) as Record<string, unknown>)
        : (row.properties ?? {}),
    pageUrl: row.page_url,
    timestamp: row.ts,
  }));
}
