/**
 * The one way events reach the `events` table, used by the worker and by ingest's direct-to-PostgreSQL fallback so
 * both dedupe identically: one multi-row INSERT ... ON CONFLICT (project_id, insert_id) DO NOTHING, the rollups
 * updated from exactly the rows it added (RETURNING), all in one transaction. A redelivered or resent batch therefore
 * adds no row and counts nothing twice.
 *
 * The rows travel as one JSON parameter expanded by `json_to_recordset`: one parameter whatever the batch size, the
 * same text on PostgreSQL and PGlite, and no per-column array building in JavaScript.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Database } from "../../db/client.ts";
import type { events } from "../../db/schema/index.ts";
import { applyRollups } from "../rollups/apply-rollups.ts";

/** A full `events` row. */
export type EventRow = typeof events.$inferSelect;

/** Inserts the rows that are new, updates the rollups for them, and returns them (the others were duplicates). */
export async function storeEvents(db: Database, rows: readonly EventRow[]): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  // Insert in key order: two transactions holding overlapping keys (a resend racing its original) then wait on each
  // other in the same order instead of deadlocking. The sort is stable, so within a batch the first copy still wins.
  rows = rows.toSorted(byKey);
  const json = JSON.stringify(rows.map(toRecord));
  return db.transaction(async (tx) => {
    const added = await queryRows<{ project_id: string; insert_id: string }>(
      tx,
      sql`insert into events (project_id, insert_id, event_name, distinct_id, session_id, properties, page_url, path,
            host, referrer, referrer_host, utm_source, utm_medium, utm_campaign, user_agent, browser, os, device,
            ip_hash, "timestamp", received_at)
          select project_id, insert_id, event_name, distinct_id, session_id, coalesce(properties, '{}'::jsonb),
            page_url, path, host, referrer, referrer_host, utm_source, utm_medium, utm_campaign, user_agent, browser,
            os, device, ip_hash, 'epoch'::timestamptz + ts * interval '1 millisecond',
            'epoch'::timestamptz + received * interval '1 millisecond'
          from json_to_recordset(${json}::json) as r(project_id uuid, insert_id text, event_name text,
            distinct_id text, session_id text, properties jsonb, page_url text, path text, host text, referrer text,
            referrer_host text, utm_source text, utm_medium text, utm_campaign text, user_agent text, browser text,
            os text, device text, ip_hash text, ts double precision, received double precision)
          on conflict (project_id, insert_id) do nothing
          returning project_id, insert_id`,
    );
    if (added.length === 0) return [];
    const inserted = pickInserted(rows, added);
    await applyRollups(tx, inserted);
    return inserted;
  });
}

function byKey(a: EventRow, b: EventRow): number {
  if (a.projectId !== b.projectId) return a.projectId < b.projectId ? -1 : 1;
  return a.insertId < b.insertId ? -1 : a.insertId > b.insertId ? 1 : 0;
}

function toRecord(row: EventRow) {
  return {
    project_id: row.projectId,
    insert_id: row.insertId,
    event_name: row.eventName,
    distinct_id: row.distinctId,
    session_id: row.sessionId,
    properties: row.properties,
    page_url: row.pageUrl,
    path: row.path,
    host: row.host,
    referrer: row.referrer,
    referrer_host: row.referrerHost,
    utm_source: row.utmSource,
    utm_medium: row.utmMedium,
    utm_campaign: row.utmCampaign,
    user_agent: row.userAgent,
    browser: row.browser,
    os: row.os,
    device: row.device,
    ip_hash: row.ipHash,
    ts: row.timestamp.getTime(),
    received: row.receivedAt.getTime(),
  };
}

/**
 * The input rows matching the keys PostgreSQL reported as added. When one batch holds the same key twice the first
 * occurrence is the one inserted (INSERT ... SELECT keeps the input order), so the first wins here too.
 */
function pickInserted(rows: readonly EventRow[], added: ReadonlyArray<{ project_id: string; insert_id: string }>): EventRow[] {
  if (added.length === rows.length) return rows.slice();
  const wanted = new Set<string>();
  for (const key of added) wanted.add(`${key.project_id}\n${key.insert_id}`);
  const inserted: EventRow[] = [];
  for (const row of rows) {
    const key = `${row.projectId}\n${row.insertId}`;
    if (wanted.delete(key)) inserted.push(row);
  }
  return inserted;
}
