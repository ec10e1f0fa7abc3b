/**
 * The one way events reach the `events` table, used by the worker and by ingest's direct-to-PostgreSQL fallback so
 * both dedupe identically on (project_id, insert_id), with the rollups updated from exactly the rows added, all in
 * one transaction. A redelivered or resent batch therefore adds no row and counts nothing twice.
 *
 * On PostgreSQL the rows travel by COPY (its text format is the cheapest way in), straight into `events` when none
 * is stored yet, else through a temporary table and INSERT ... ON CONFLICT DO NOTHING (see insertByCopy). On
 * embedded PGlite (no COPY from a client stream) they travel as one JSON parameter expanded by `json_to_recordset`.
 * Either way the insert reports the keys that were already stored.
 *
 * Bot filtering happens here too, so the worker and the direct write drop alike and count once: the rows of a
 * project that filters bots (projects.bot_filtering, read in the statement that locks the project, so a change
 * applies from the next transaction on) whose user agent is a bot's (bot-user-agent.ts) are not stored; their keys go
 * to bot_filtered_events with ON CONFLICT DO NOTHING in the same transaction, which counts each dropped event once
 * however often it is redelivered or resent. A key already in `events` (stored while filtering was off) is not
 * counted as dropped.
 */

import type { Writable } from "node:stream";
import { is, sql } from "drizzle-orm";
import { PostgresJsTransaction } from "drizzle-orm/postgres-js";
import type { TransactionSql } from "postgres";
import { type Database, queryRows } from "../../db/client.ts";
import {
  EVENT_COLUMN_LIST,
  type EventRow,
  JSON_RECORD_TYPES,
  JSON_RECORD_VALUES,
  toCopyChunks,
  toJsonRecord,
} from "../../db/events-columns.ts";
import { projectWriteLockSql } from "../../db/project-write-lock.ts";
import { withoutSuppressedEvents } from "../people/suppression.ts";
import { applyRollups } from "../rollups/apply-rollups.ts";
import { isBotUserAgent } from "./bot-user-agent.ts";

export type { EventRow };

type EventKey = { project_id: string; insert_id: string };

// The column order and both row encodings live in db/events-columns.ts (COPY is positional).
const COLUMNS = EVENT_COLUMN_LIST;

/**
 * Inserts the rows that are new, updates the rollups for them, and returns them (the others were duplicates).
 * `startBy` (epoch ms): a transaction that only gets a connection after it stores nothing, because its caller has
 * stopped waiting (ingest answered 503 and the client will resend).
 */
export async function storeEvents(
  db: Database,
  rows: readonly EventRow[],
  options: { startBy?: number; onSuppressed?: (count: number) => void } = {},
): Promise<EventRow[]> {
  return (await storeEventsCounted(db, rows, options)).inserted;
}

export interface StoreOutcome {
  /** The rows added to `events`. */
  inserted: EventRow[];
  /** Bot events dropped by this transaction for the first time (a redelivered one is not counted again). */
  botsFiltered: number;
  /** Events of deleted people dropped (server/pipeline/people/suppression.ts), every time they arrive. */
  suppressed: number;
}

/**
 * storeEvents, also telling how many events the bot filter dropped for the first time and how many were
 * suppressed. `onSuppressed` hears the latter once the transaction committed (a rolled-back attempt is retried and
 * counts then).
 */
export async function storeEventsCounted(
  db: Database,
  rows: readonly EventRow[],
  options: { startBy?: number; onSuppressed?: (count: number) => void } = {},
): Promise<StoreOutcome> {
  if (rows.length === 0) return { inserted: [], botsFiltered: 0, suppressed: 0 };
  // Insert in key order: two transactions holding overlapping keys (a resend racing its original) then wait on each
  // other in the same order instead of deadlocking. The sort is stable, so when a batch holds a key twice the first
  // copy is the one kept.
  const unique = firstOfEachKey(rows.toSorted(byKey));
  const outcome = await db.transaction(async (tx): Promise<StoreOutcome> => {
    if (options.startBy !== undefined && Date.now() > options.startBy)
      throw new Error("the caller stopped waiting for this write");
    const filtering = await lockProjects(tx, unique);
    // Deleted people's ids (server/pipeline/people/suppression.ts): after the locks, so a deletion is either done
    // and seen here, or waits for this transaction and deletes what it stores.
    const wanted = await withoutSuppressedEvents(tx, unique);
    const suppressed = unique.length - wanted.length;
    const kept: EventRow[] = [];
    const bots: EventRow[] = [];
    for (const row of wanted) (filtering.has(row.projectId) && isBotUserAgent(row.userAgent) ? bots : kept).push(row);
    const botsFiltered = bots.length > 0 ? await recordFilteredBots(tx, bots) : 0;
    if (kept.length === 0) return { inserted: [], botsFiltered, suppressed };
    const alreadyStored = is(tx, PostgresJsTransaction)
      ? await insertByCopy(clientOf(tx), kept)
      : await insertByJson(tx, kept);
    const inserted = withoutKeys(kept, alreadyStored);
    if (inserted.length > 0) await applyRollups(tx, inserted);
    return { inserted, botsFiltered, suppressed };
  });
  if (outcome.suppressed > 0) options.onSuppressed?.(outcome.suppressed);
  return outcome;
}

/** Records the dropped bot events' keys; returns how many were new (neither recorded nor stored before). */
async function recordFilteredBots(tx: Database, rows: readonly EventRow[]): Promise<number> {
  const keys = rows.map((row) => ({ p: row.projectId, k: row.insertId, t: row.timestamp.toISOString() }));
  const added = await queryRows<{ n: number }>(
    tx,
    sql`with added as (
          insert into bot_filtered_events (project_id, insert_id, timestamp)
          select r.p, r.k, r.t from json_to_recordset(${JSON.stringify(keys)}::json) as r(p uuid, k text, t timestamptz)
           where not exists (select 1 from events e where e.project_id = r.p and e.insert_id = r.k)
          order by r.p, r.k
          on conflict (project_id, insert_id) do nothing
          returning 1
        )
        select count(*)::int as n from added`,
  );
  return added[0]?.n ?? 0;
}

/**
 * What a foreign key's check would do per row, once per project: holds each project's row against deletion until
 * COMMIT (deleting a project deletes its events, see deleteProject), and refuses events of a project that no longer
 * exists. `events` has no foreign key because its per-row check cost more than the rest of the insert's locking.
 * Returns the projects that filter bots.
 */
async function lockProjects(tx: Database, rows: readonly EventRow[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const row of rows) ids.add(row.projectId);
  // The query engine's upgrade backfill takes this lock exclusively for a chunk (projectWriteLockSql): unlike the row
  // lock below, a waiting exclusive request holds back new shared ones, so a steady stream of overlapping writers
  // cannot starve it. Taken in project order (the aggregate runs over the sorted subquery), so no two transactions
  // wait on each other in a cycle.
  await tx.execute(
    sql`select count(${projectWriteLockSql(sql`k`, "shared")}) from (select unnest(${`{${[...ids].sort().join(",")}}`}::text[]) as k order by 1) as ordered`,
  );
  const found = await queryRows<{ id: string; bot_filtering: boolean }>(
    tx,
    sql`select id::text as id, bot_filtering from projects
         where id in (${sql.join(
           [...ids].map((id) => sql`${id}::uuid`),
           sql`, `,
         )}) for key share`,
  );
  if (found.length === ids.size) return new Set(found.filter((row) => row.bot_filtering).map((row) => row.id));
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
          select ${sql.raw(JSON_RECORD_VALUES)}
          from json_to_recordset(${JSON.stringify(rows.map(toJsonRecord))}::json) as r(${sql.raw(JSON_RECORD_TYPES)})
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

/** The rows whose keys are not among `keys` (rows hold each key once). */
function withoutKeys(rows: EventRow[], keys: readonly EventKey[]): EventRow[] {
  if (keys.length === 0) return rows;
  const listed = new Set<string>();
  for (const key of keys) listed.add(`${key.project_id}\n${key.insert_id}`);
  return rows.filter((row) => !listed.has(`${row.projectId}\n${row.insertId}`));
}
