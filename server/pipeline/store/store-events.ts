/**
 * The one way events reach the `events` table, used by the worker and by ingest's direct-to-PostgreSQL fallback so
 * both dedupe identically on (project_id, insert_id), with the rollups updated from exactly the rows added, all in
 * one transaction. A redelivered or resent batch therefore adds no row and counts nothing twice.
 *
 * On PostgreSQL the rows travel by COPY (its text format is the cheapest way in), straight into `events` when none
 * is stored yet, else through a temporary table and INSERT ... ON CONFLICT DO NOTHING (see insertByCopy). On
 * embedded PGlite (no COPY from a client stream) they travel as one JSON parameter expanded by `json_to_recordset`.
 * Either way the insert reports the keys that were already stored.
 */

import type { Writable } from "node:stream";
import { is, sql } from "drizzle-orm";
import { PostgresJsTransaction } from "drizzle-orm/postgres-js";
import type { TransactionSql } from "postgres";
import { type Database, queryRows } from "../../db/client.ts";
import type { events } from "../../db/schema/index.ts";
import { applyRollups } from "../rollups/apply-rollups.ts";

/** A full `events` row. */
export type EventRow = typeof events.$inferSelect;

type EventKey = { project_id: string; insert_id: string };

const COLUMNS = `project_id, insert_id, event_name, distinct_id, session_id, properties, page_url, path, host, referrer,
  referrer_host, utm_source, utm_medium, utm_campaign, user_agent, browser, os, device, ip_hash, "timestamp", received_at`;

/**
 * Inserts the rows that are new, updates the rollups for them, and returns them (the others were duplicates).
 * `startBy` (epoch ms): a transaction that only gets a connection after it stores nothing, because its caller has
 * stopped waiting (ingest answered 503 and the client will resend).
 */
export async function storeEvents(
  db: Database,
  rows: readonly EventRow[],
  options: { startBy?: number } = {},
): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  // Insert in key order: two transactions holding overlapping keys (a resend racing its original) then wait on each
  // other in the same order instead of deadlocking. The sort is stable, so when a batch holds a key twice the first
  // copy is the one kept.
  const unique = firstOfEachKey(rows.toSorted(byKey));
  return db.transaction(async (tx) => {
    if (options.startBy !== undefined && Date.now() > options.startBy)
      throw new Error("the caller stopped waiting for this write");
    await lockProjects(tx, unique);
    const alreadyStored = is(tx, PostgresJsTransaction)
      ? await insertByCopy(clientOf(tx), unique)
      : await insertByJson(tx, unique);
    const inserted = withoutKeys(unique, alreadyStored);
    if (inserted.length > 0) await applyRollups(tx, inserted);
    return inserted;
  });
}

/**
 * What a foreign key's check would do per row, once per project: holds each project's row against deletion until
 * COMMIT (deleting a project deletes its events, see deleteProject), and refuses events of a project that no longer
 * exists. `events` has no foreign key because its per-row check cost more than the rest of the insert's locking.
 */
async function lockProjects(tx: Database, rows: readonly EventRow[]): Promise<void> {
  const ids = new Set<string>();
  for (const row of rows) ids.add(row.projectId);
  const found = await queryRows<{ id: string }>(
    tx,
    sql`select id::text as id from projects
         where id in (${sql.join(
           [...ids].map((id) => sql`${id}::uuid`),
           sql`, `,
         )}) for key share`,
  );
  if (found.length === ids.size) return;
  for (const row of found) ids.delete(row.id);
  throw new Error(`project ${[...ids].join(", ")} does not exist (deleted?); its events cannot be stored`);
}

/** The postgres.js connection a drizzle transaction runs on (COPY is not part of drizzle's API). */
function clientOf(tx: object): TransactionSql {
  return (tx as unknown as { session: { client: TransactionSql } }).session.client;
}

/**
 * COPY, returning the keys that were already stored. Most batches hold only new events, so the rows are first
 * COPYed straight into `events` (as fast as PostgreSQL takes rows) inside a savepoint; only when that meets a key
 * already stored (a redelivery, a client's resend) is it undone and the batch goes the deduping way: COPY into a
 * temporary table, then INSERT ... SELECT ... ON CONFLICT DO NOTHING. Either way the rows go in key order.
 */
async function insertByCopy(client: TransactionSql, rows: readonly EventRow[]): Promise<EventKey[]> {
  const chunks = toCopyChunks(rows);
  try {
    await client.savepoint((savepoint) => copyChunks(savepoint, "events", chunks));
    return [];
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
  }
  // Temporary: private to this connection, no write-ahead log, emptied at every COMMIT or ROLLBACK's end.
  await client.unsafe(`create temp table if not exists events_staging (like events) on commit delete rows`);
  await copyChunks(client, "events_staging", chunks);
  return client.unsafe<EventKey[]>(
    `with added as (
       insert into events (${COLUMNS})
       select ${COLUMNS} from events_staging order by project_id, insert_id
       on conflict (project_id, insert_id) do nothing
       returning project_id, insert_id
     )
     select s.project_id, s.insert_id from events_staging s
      where not exists (select 1 from added a where a.project_id = s.project_id and a.insert_id = s.insert_id)`,
  );
}

const UNIQUE_VIOLATION = "23505";

async function copyChunks(client: TransactionSql, table: string, chunks: readonly string[]): Promise<void> {
  const stream = (await client.unsafe(`copy ${table} (${COLUMNS}) from stdin`).writable()) as Writable;
  await new Promise<void>((resolve, reject) => {
    stream.once("error", reject);
    for (const chunk of chunks) stream.write(chunk);
    stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

/** The JSON insert (PGlite); returns the keys that were already stored. */
async function insertByJson(tx: Database, rows: readonly EventRow[]): Promise<EventKey[]> {
  return queryRows<EventKey>(
    tx,
    sql`with input as materialized (
          select project_id, insert_id, event_name, distinct_id, session_id, coalesce(properties, '{}'::jsonb),
            page_url, path, host, referrer, referrer_host, utm_source, utm_medium, utm_campaign, user_agent, browser,
            os, device, ip_hash, 'epoch'::timestamptz + ts * interval '1 millisecond',
            'epoch'::timestamptz + received * interval '1 millisecond'
          from json_to_recordset(${JSON.stringify(rows.map(toRecord))}::json) as r(project_id uuid, insert_id text,
            event_name text, distinct_id text, session_id text, properties jsonb, page_url text, path text, host text,
            referrer text, referrer_host text, utm_source text, utm_medium text, utm_campaign text, user_agent text,
            browser text, os text, device text, ip_hash text, ts double precision, received double precision)
        ),
        added as (
          insert into events (${sql.raw(COLUMNS)}) select * from input
          on conflict (project_id, insert_id) do nothing
          returning project_id, insert_id
        )
        select i.project_id, i.insert_id from input i
         where not exists (select 1 from added a where a.project_id = i.project_id and a.insert_id = i.insert_id)`,
  );
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A value in COPY's text format: \N for null, and the four characters that carry meaning escaped. */
function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c]!) : value;
}

/**
 * Rows in COPY's text format, columns in the order of COLUMNS, in chunks of about COPY_CHUNK_CHARS: each chunk
 * becomes a Buffer and a CopyData message of its own. One string for a whole transaction (1-2 MB) cost 0.5-0.9 µs
 * per row in Buffer.from alone, nearly all of it the fresh large allocation (and again in the driver's message
 * copy); 64 KB chunks reuse memory the allocator already has (0.13 µs per row, measured in isolation).
 */
export function toCopyChunks(rows: readonly EventRow[]): string[] {
  const chunks: string[] = [];
  let lines: string[] = [];
  let chars = 0;
  // The events of one request share their receipt time (one Date) and their client's fields (user agent and its
  // parts, IP hash): each is formatted once per run of rows that share it.
  let receivedAt: Date | null = null;
  let receivedText = "";
  let client: EventRow | null = null;
  let clientText = "";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.receivedAt !== receivedAt) [receivedAt, receivedText] = [r.receivedAt, r.receivedAt.toISOString()];
    if (
      client === null ||
      r.userAgent !== client.userAgent ||
      r.browser !== client.browser ||
      r.os !== client.os ||
      r.device !== client.device ||
      r.ipHash !== client.ipHash
    ) {
      client = r;
      clientText =
        copyField(r.userAgent) +
        "\t" +
        copyField(r.browser) +
        "\t" +
        copyField(r.os) +
        "\t" +
        copyField(r.device) +
        "\t" +
        copyField(r.ipHash);
    }
    const line =
      copyField(r.projectId) +
      "\t" +
      copyField(r.insertId) +
      "\t" +
      copyField(r.eventName) +
      "\t" +
      copyField(r.distinctId) +
      "\t" +
      copyField(r.sessionId) +
      "\t" +
      copyField(JSON.stringify(r.properties ?? {})) +
      "\t" +
      copyField(r.pageUrl) +
      "\t" +
      copyField(r.path) +
      "\t" +
      copyField(r.host) +
      "\t" +
      copyField(r.referrer) +
      "\t" +
      copyField(r.referrerHost) +
      "\t" +
      copyField(r.utmSource) +
      "\t" +
      copyField(r.utmMedium) +
      "\t" +
      copyField(r.utmCampaign) +
      "\t" +
      clientText +
      "\t" +
      r.timestamp.toISOString() +
      "\t" +
      receivedText +
      "\n";
    lines.push(line);
    chars += line.length;
    if (chars >= COPY_CHUNK_CHARS) {
      chunks.push(lines.join(""));
      lines = [];
      chars = 0;
    }
  }
  if (lines.length > 0) chunks.push(lines.join(""));
  return chunks;
}

const COPY_CHUNK_CHARS = 64 * 1024;

/** Sorted rows without the later copies of a key (a batch holding one event twice stores and counts it once). */
function firstOfEachKey(sorted: EventRow[]): EventRow[] {
  let write = 0;
  for (let read = 0; read < sorted.length; read++) {
    const row = sorted[read]!;
    const kept = write > 0 ? sorted[write - 1]! : undefined;
    if (kept && kept.projectId === row.projectId && kept.insertId === row.insertId) continue;
    sorted[write++] = row;
  }
  sorted.length = write;
  return sorted;
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

/** The rows whose keys are not among `keys` (rows hold each key once). */
function withoutKeys(rows: EventRow[], keys: readonly EventKey[]): EventRow[] {
  if (keys.length === 0) return rows;
  const listed = new Set<string>();
  for (const key of keys) listed.add(`${key.project_id}\n${key.insert_id}`);
  return rows.filter((row) => !listed.has(`${row.projectId}\n${row.insertId}`));
}
