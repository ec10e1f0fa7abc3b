/**
 * Suppression of deleted people (shared/people.ts, SUPPRESSION_DAYS): storeEvents drops, before inserting, every
 * event whose distinct_id or `$anon_distinct_id` is a suppressed id of its project. It runs inside the storing
 * transaction after the project's shared write lock (server/db/project-write-lock.ts), which people.delete holds
 * exclusively while it deletes and suppresses: a batch either committed before the deletion (and is deleted by it)
 * or sees the suppression (READ COMMITTED takes a new snapshot per statement, after the lock was granted). So
 * nothing the worker or the direct-write path stores after a deletion can bring the person back, whether it was
 * queued in the stream before the deletion, redelivered, replayed from the dead-letter stream, or sent later.
 *
 * Cost: one indexed statement per stored batch (not per event), probing the batch's distinct ids; the table holds
 * only ids of people deleted in the last SUPPRESSION_DAYS, so with none it is a single empty index probe.
 */
import { sql } from "drizzle-orm";
import { ANON_ID_PROPERTY } from "../../../shared/identity.ts";
import { SUPPRESSION_DAYS } from "../../../shared/people.ts";
import { type Database, queryRows } from "../../db/client.ts";
import type { EventRow } from "../../db/events-columns.ts";

function anonIdOf(row: EventRow): string | null {
  const value = (row.properties as Record<string, unknown> | null)?.[ANON_ID_PROPERTY];
  return typeof value === "string" && value !== "" ? value : null;
}

/** The rows whose ids are not suppressed in their project; call inside the storing transaction, after its locks. */
export async function withoutSuppressedEvents(tx: Database, rows: readonly EventRow[]): Promise<EventRow[]> {
  const projects = new Set<string>();
  const ids = new Set<string>();
  for (const row of rows) {
    projects.add(row.projectId);
    if (row.distinctId) ids.add(row.distinctId);
    const anon = anonIdOf(row);
    if (anon) ids.add(anon);
  }
  if (ids.size === 0) return rows as EventRow[];
  const found = await queryRows<{ project_id: string; distinct_id: string }>(
    tx,
    sql`select project_id::text as project_id, distinct_id from analytics_suppressed_ids
         where project_id = any(${`{${[...projects].join(",")}}`}::uuid[])
           and distinct_id in (select json_array_elements_text(${JSON.stringify([...ids])}::json))
           and expires_at > now()`,
  );
  if (found.length === 0) return rows as EventRow[];
  const suppressed = new Set(found.map((row) => `${row.project_id}\n${row.distinct_id}`));
  const isSuppressed = (projectId: string, id: string | null) => id !== null && suppressed.has(`${projectId}\n${id}`);
  return rows.filter(
    (row) => !isSuppressed(row.projectId, row.distinctId) && !isSuppressed(row.projectId, anonIdOf(row)),
  );
}

/** Suppresses `ids` of the project for SUPPRESSION_DAYS from now (a second deletion extends it). Returns the end. */
export async function suppressIds(tx: Database, projectId: string, ids: readonly string[]): Promise<Date> {
  const [row] = await queryRows<{ until: string }>(
    tx,
    sql`insert into analytics_suppressed_ids (project_id, distinct_id, expires_at)
        select ${projectId}::uuid, id, now() + make_interval(days => ${SUPPRESSION_DAYS})
          from json_array_elements_text(${JSON.stringify([...ids])}::json) as id
        on conflict (project_id, distinct_id) do update set expires_at = excluded.expires_at
        returning expires_at::text as until`,
  );
  return new Date(row ? row.until.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00") : Date.now());
}

/** Removes expired suppressions (the maintenance loop calls it; expired rows already suppress nothing). */
export async function removeExpiredSuppressions(db: Database): Promise<number> {
  const rows = await queryRows(db, sql`delete from analytics_suppressed_ids where expires_at <= now() returning 1`);
  return rows.length;
}
