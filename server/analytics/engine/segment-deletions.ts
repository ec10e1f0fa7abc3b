/**
 * Deleted slots: how a person's deletion (server/pipeline/people/delete-person.ts) takes their events out of the
 * query engine without rewriting every segment. A person with a long history has events in every segment of the
 * project (the bench's power people: ~66 events in each of 153 segments of a 10 M-event project, whose columns are
 * ~750 MB), and rewriting them all took 36 s of the deletion. Instead, inside the deletion's transaction:
 *   - the slots holding the person's user nums are found from the user columns alone (one read of ~38 MB at 10 M);
 *   - each segment with such slots gets them added to `analytics_segments.deleted_slots` and is re-listed under a
 *     new segment id, its column rows moved to the new id unchanged (PostgreSQL keeps their out-of-line values in
 *     place on such an update, so no column bytes are copied). Readers cache columns by segment id
 *     (segment-store.ts), and cohort evaluations key on the ids (cohort-evaluations.ts), so nothing reads a copy
 *     that still counts the person: every figure stops counting them at COMMIT, like the raw events.
 * Readers drop deleted slots when they load columns (withoutSlots). The bytes themselves leave the columns when the
 * segment is next rewritten: the worker's maintenance loop purges segments with deleted slots in bounded batches
 * (removeEventsFromSegments with purgeDeleted, engine-maintenance.ts), and every other rewrite (compaction,
 * retention) drops them as well. README "Privacy" says how long that takes.
 */
import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";
import { type Column, DICTIONARY, decodeColumn, NUMBERS_F64, NUMBERS_I32, STRINGS } from "./column-codec.ts";
import { USER_COLUMN } from "./segment-layout.ts";

/** The advisory lock every change to a project's segments holds (compactor, backfill, retention, deletions). */
export const waitForSegmentsLockSql = (projectId: string) =>
  sql`select pg_advisory_xact_lock(hashtextextended('analytics_segments:' || ${projectId}::text, 0))`;

/** `deleted_slots` as PostgreSQL returns it through either driver (an array, or its text form on some paths). */
export function parseSlots(value: unknown): number[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map(Number);
  const text = String(value).replace(/[{}]/g, "");
  return text === "" ? [] : text.split(",").map(Number);
}

/** The deleted slots of some segments of a project (segments without deletions are left out). */
export async function deletedSlotsOf(
  tx: Database,
  projectId: string,
  ids: readonly number[],
): Promise<Map<number, number[]>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows<{ segment_id: string | number; deleted_slots: unknown }>(
    tx,
    sql`select segment_id, deleted_slots from analytics_segments
         where project_id = ${projectId}::uuid and segment_id = any(${`{${ids.join(",")}}`}::bigint[])
           and deleted_slots is not null`,
  );
  return new Map(rows.map((row) => [Number(row.segment_id), parseSlots(row.deleted_slots)]));
}

/** A keep-mask of `count` slots without `deleted`. */
export function keepMask(count: number, deleted: readonly number[]): Uint8Array {
  const keep = new Uint8Array(count).fill(1);
  for (const slot of deleted) if (slot < count) keep[slot] = 0;
  return keep;
}

/** One column with only the slots `keep` marks (a dictionary keeps its entries, so pooled ids stay valid). */
export function keepColumnSlots(column: Column, keep: Uint8Array): Column {
  switch (column.kind) {
    case NUMBERS_F64:
      return { kind: NUMBERS_F64, values: column.values.filter((_, i) => keep[i] === 1) };
    case NUMBERS_I32:
      return { kind: NUMBERS_I32, values: column.values.filter((_, i) => keep[i] === 1) };
    case DICTIONARY:
      return { kind: DICTIONARY, entries: column.entries, codes: column.codes.filter((_, i) => keep[i] === 1) };
    case STRINGS:
      return { kind: STRINGS, values: column.values.filter((_, i) => keep[i] === 1) };
  }
}

/** The columns with only the slots `keep` marks. */
export function keepSlots(columns: ReadonlyMap<string, Column>, keep: Uint8Array): Map<string, Column> {
  const out = new Map<string, Column>();
  for (const [name, column] of columns) out.set(name, keepColumnSlots(column, keep));
  return out;
}

/** A segment's columns as readers see them: without its deleted slots (the same columns when it has none). */
export function withoutSlots(
  columns: Map<string, Column>,
  deleted: readonly number[] | undefined,
): Map<string, Column> {
  if (!deleted || deleted.length === 0) return columns;
  const first = columns.values().next().value;
  if (!first) return columns;
  const length = first.kind === DICTIONARY ? first.codes.length : first.values.length;
  return keepSlots(columns, keepMask(length, deleted));
}

/**
 * Marks the events of `userNums` (a person's canonical and alias nums) deleted in every segment of the project
 * overlapping [within.min, within.max] (epoch ms; all the person's events lie in it), inside the caller's
 * transaction, which deletes the same events from `events` and the rollups. Returns how many events were marked.
 */
export async function markEventsDeleted(
  tx: Database,
  projectId: string,
  removal: { userNums: ReadonlySet<number>; within: { min: number; max: number } },
): Promise<number> {
  await tx.execute(waitForSegmentsLockSql(projectId));
  // One read of the overlapping segments' user columns (and what is already deleted in them).
  const rows = await queryRows<{ segment_id: string | number; deleted_slots: unknown; data: Uint8Array }>(
    tx,
    sql`select s.segment_id, s.deleted_slots, c.data
          from analytics_segments s
          join analytics_segment_columns c
            on c.project_id = s.project_id and c.segment_id = s.segment_id and c.name = ${USER_COLUMN}
         where s.project_id = ${projectId}::uuid
           and s.max_ts >= ${new Date(removal.within.min).toISOString()}::timestamptz
           and s.min_ts <= ${new Date(removal.within.max + 1).toISOString()}::timestamptz`,
  );
  const relisted: Array<{ old: number; slots: number[] }> = [];
  const emptied: number[] = [];
  let marked = 0;
  for (const row of rows) {
    const users = decodeColumn(row.data);
    if (users.kind !== NUMBERS_I32) throw new Error(`segment ${row.segment_id}: '${USER_COLUMN}' is not numbers`);
    const already = parseSlots(row.deleted_slots);
    const deleted = new Set(already);
    for (let slot = 0; slot < users.values.length; slot++) {
      if (removal.userNums.has(users.values[slot]!)) deleted.add(slot);
    }
    if (deleted.size === already.length) continue;
    marked += deleted.size - already.length;
    if (deleted.size === users.values.length) emptied.push(Number(row.segment_id));
    else relisted.push({ old: Number(row.segment_id), slots: [...deleted].sort((a, b) => a - b) });
  }
  if (relisted.length > 0) {
    // New ids for the changed segments; their column rows follow (the data values are not rewritten).
    await tx.execute(
      sql`with moved as materialized (
            select x.old, nextval('analytics_segment_id_seq') as id, x.slots
              from json_to_recordset(${JSON.stringify(relisted)}::json) as x(old bigint, slots integer[])
          ),
          listed as (
            update analytics_segments s set segment_id = m.id, deleted_slots = m.slots
              from moved m where s.project_id = ${projectId}::uuid and s.segment_id = m.old
            returning 1
          )
          update analytics_segment_columns c set segment_id = m.id
            from moved m where c.project_id = ${projectId}::uuid and c.segment_id = m.old`,
    );
  }
  if (emptied.length > 0) {
    const ids = `{${emptied.join(",")}}`;
    await tx.execute(
      sql`delete from analytics_segment_columns where project_id = ${projectId}::uuid and segment_id = any(${ids}::bigint[])`,
    );
    await tx.execute(
      sql`delete from analytics_segments where project_id = ${projectId}::uuid and segment_id = any(${ids}::bigint[])`,
    );
  }
  return marked;
}

/** Projects with segments holding deleted slots, for the maintenance loop's purge. */
export async function projectsWithDeletedSlots(db: Database): Promise<string[]> {
  const rows = await queryRows<{ project_id: string }>(
    db,
    sql`select distinct project_id::text as project_id from analytics_segments where deleted_slots is not null`,
  );
  return rows.map((row) => row.project_id);
}
