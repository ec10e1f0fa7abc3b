/**
 * The compactor: merges a project's small segments into few large ones. The worker writes one segment per
 * transaction (a few hundred events at low traffic), and every segment costs readers a listing row and a few column
 * rows, so many small ones would make reads slow. Merging keeps slots sorted by time, so a merged segment still
 * answers a range by binary search.
 *
 * Policy (write amplification about 1x at high traffic): segments under SMALL_SEGMENT events are merged once a
 * project's small ones hold SMALL_SEGMENT events together, or the oldest of them is MAX_SMALL_AGE old; merged
 * segments are at most SEGMENT_CAPACITY events. One compactor per project at a time (an advisory lock); writers never
 * wait for it (they only add segments), and readers that listed a replaced segment list again (segment-store.ts).
 */
import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";
import {
  type Column,
  DICTIONARY,
  decodeColumn,
  encodeDictionary,
  encodeF64,
  encodeI32,
  encodeStrings,
  NUMBERS_F64,
  NUMBERS_I32,
  STRINGS,
} from "./column-codec.ts";
import {
  deletedSlotsOf,
  keepMask,
  keepSlots,
  parseSlots,
  waitForSegmentsLockSql,
  withoutSlots,
} from "./segment-deletions.ts";
import { SEGMENT_CAPACITY, TS_COLUMN } from "./segment-layout.ts";
import { insertSegmentRowsSql, segmentColumnValuesSql } from "./write-segments.ts";

export const SMALL_SEGMENT = 16_384;
export const MAX_SMALL_AGE_SECONDS = 600;

/** Projects whose small segments are due for merging. */
export async function projectsDueForCompaction(db: Database): Promise<string[]> {
  const rows = await queryRows<{ project_id: string }>(
    db,
    sql`select project_id from analytics_segments
         where event_count < ${SMALL_SEGMENT}
         group by project_id
        having count(*) >= 2
           and (sum(event_count) >= ${SMALL_SEGMENT} or min(created_at) < now() - make_interval(secs => ${MAX_SMALL_AGE_SECONDS}))`,
  );
  return rows.map((row) => row.project_id);
}

/**
 * Merges the project's small segments (all of them, in runs of at most SEGMENT_CAPACITY events), each run in its
 * own transaction. Returns how many segments were replaced. Does nothing when another compactor holds the project.
 */
export async function compactProject(
  db: Database,
  projectId: string,
  options: { all?: boolean } = {},
): Promise<number> {
  let replaced = 0;
  for (;;) {
    const merged = await db.transaction(async (tx) => {
      const [lock] = await queryRows<{ locked: boolean }>(
        tx,
        sql`select pg_try_advisory_xact_lock(hashtextextended('analytics_segments:' || ${projectId}::text, 0)) as locked`,
      );
      if (!lock?.locked) return 0;
      const small = await queryRows<{ segment_id: string | number; event_count: number }>(
        tx,
        sql`select segment_id, event_count from analytics_segments
             where project_id = ${projectId}::uuid and event_count < ${options.all ? SEGMENT_CAPACITY : SMALL_SEGMENT}
             order by min_ts, segment_id`,
      );
      const run: number[] = [];
      let events = 0;
      for (const row of small) {
        if (events + row.event_count > SEGMENT_CAPACITY) break;
        run.push(Number(row.segment_id));
        events += row.event_count;
      }
      if (run.length < 2) return 0;
      await mergeSegments(tx, projectId, run);
      return run.length;
    });
    if (merged === 0) return replaced;
    replaced += merged;
  }
}

/** Replaces segments `ids` of a project by one holding all their events, inside the caller's transaction. */
async function mergeSegments(tx: Database, projectId: string, ids: readonly number[]): Promise<void> {
  const rows = await queryRows<{ segment_id: string | number; name: string; data: Uint8Array }>(
    tx,
    sql`select segment_id, name, data from analytics_segment_columns
         where project_id = ${projectId}::uuid and segment_id = any(${`{${ids.join(",")}}`}::bigint[])`,
  );
  const bySegment = new Map<number, Map<string, Column>>(ids.map((id) => [id, new Map()]));
  for (const row of rows) bySegment.get(Number(row.segment_id))!.set(row.name, decodeColumn(row.data));
  // Deleted slots (segment-deletions.ts) are left out of the merged segment: its bytes no longer hold them.
  const deleted = await deletedSlotsOf(tx, projectId, ids);
  const parts = ids.map((id) => withoutSlots(bySegment.get(id)!, deleted.get(id)));
  const { columns, min, max, count } = mergeColumns(parts);
  const values = segmentColumnValuesSql(columns);
  await tx.execute(insertSegmentRowsSql(projectId, min, max, count, values));
  const idList = `{${ids.join(",")}}`;
  await tx.execute(
    sql`delete from analytics_segment_columns where project_id = ${projectId}::uuid and segment_id = any(${idList}::bigint[])`,
  );
  await tx.execute(
    sql`delete from analytics_segments where project_id = ${projectId}::uuid and segment_id = any(${idList}::bigint[])`,
  );
}

/** The columns of several segments as one, slots sorted by time (stable: ties keep segment order). */
export function mergeColumns(parts: ReadonlyArray<ReadonlyMap<string, Column>>): {
  columns: Map<string, Uint8Array>;
  min: number;
  max: number;
  count: number;
} {
  const times = parts.map((part) => (part.get(TS_COLUMN) as Extract<Column, { kind: typeof NUMBERS_F64 }>).values);
  const count = times.reduce((sum, t) => sum + t.length, 0);
  // order[k] = (part << 16 | slot) of the k-th merged slot; parts are at most SEGMENT_CAPACITY (2^16) slots.
  const order = new Float64Array(count);
  const mergedTimes = new Float64Array(count);
  {
    let k = 0;
    parts.forEach((_, p) => {
      for (let i = 0; i < times[p]!.length; i++) order[k++] = p * 65_536 + i;
    });
    const keys = Array.from(order);
    keys.sort((a, b) => {
      const ta = times[Math.floor(a / 65_536)]![a % 65_536]!;
      const tb = times[Math.floor(b / 65_536)]![b % 65_536]!;
      return ta - tb || a - b;
    });
    order.set(keys);
    for (let j = 0; j < count; j++) mergedTimes[j] = times[Math.floor(order[j]! / 65_536)]![order[j]! % 65_536]!;
  }
  const names = new Set<string>();
  for (const part of parts) for (const name of part.keys()) names.add(name);
  const columns = new Map<string, Uint8Array>();
  for (const name of names) {
    if (name === TS_COLUMN) {
      columns.set(name, encodeF64(mergedTimes));
      continue;
    }
    const kind = [...parts].map((part) => part.get(name)?.kind).find((k) => k !== undefined)!;
    const at = (j: number) => {
      const key = order[j]!;
      return { column: parts[Math.floor(key / 65_536)]!.get(name), slot: key % 65_536 };
    };
    if (kind === NUMBERS_I32) {
      const out = new Int32Array(count);
      for (let j = 0; j < count; j++) {
        const { column, slot } = at(j);
        out[j] = column && column.kind === NUMBERS_I32 ? column.values[slot]! : -1;
      }
      columns.set(name, encodeI32(out));
    } else if (kind === NUMBERS_F64) {
      const out = new Float64Array(count);
      for (let j = 0; j < count; j++) {
        const { column, slot } = at(j);
        out[j] = column && column.kind === NUMBERS_F64 ? column.values[slot]! : 0;
      }
      columns.set(name, encodeF64(out));
    } else if (kind === DICTIONARY) {
      const out = new Array<string | null>(count);
      for (let j = 0; j < count; j++) {
        const { column, slot } = at(j);
        const code = column && column.kind === DICTIONARY ? column.codes[slot]! : 0;
        out[j] = code === 0 ? null : (column as Extract<Column, { kind: typeof DICTIONARY }>).entries[code - 1]!;
      }
      columns.set(name, encodeDictionary(out));
    } else if (kind === STRINGS) {
      const out = new Array<string>(count);
      for (let j = 0; j < count; j++) {
        const { column, slot } = at(j);
        out[j] = column && column.kind === STRINGS ? column.values[slot]! : "";
      }
      columns.set(name, encodeStrings(out));
    }
  }
  return { columns, min: mergedTimes[0] ?? 0, max: mergedTimes[count - 1] ?? 0, count };
}

/** Which events to remove from a project's segments (every rewrite also drops the segment's deleted slots). */
export interface EventRemoval {
  /** Events with a timestamp before this (epoch ms) go (retention). */
  before?: number;
  /** Segments with deleted slots (a person's deletion marks them, segment-deletions.ts) are rewritten without. */
  purgeDeleted?: boolean;
  /** Rewrite at most this many segments (work in bounded batches; call again while some are left). */
  maxSegments?: number;
}

/**
 * Removes events from a project's segments, inside the caller's transaction (which deletes the same events from
 * `events` and the rollups, so every figure stays exact): each affected segment is replaced by one without them
 * and without its deleted slots (or dropped when nothing is left). Holds the compactor's advisory lock (waiting for
 * it) so the two never rewrite the same segment. Returns how many events left the segments' bytes.
 */
export async function removeEventsFromSegments(
  tx: Database,
  projectId: string,
  removal: EventRemoval,
): Promise<number> {
  await tx.execute(waitForSegmentsLockSql(projectId));
  const old =
    removal.before !== undefined ? sql`min_ts < ${new Date(removal.before).toISOString()}::timestamptz` : null;
  const marked = removal.purgeDeleted ? sql`deleted_slots is not null` : null;
  const which = old && marked ? sql`(${old} or ${marked})` : (old ?? marked);
  if (!which) return 0;
  const candidates = await queryRows<{ segment_id: string | number; deleted_slots: unknown }>(
    tx,
    sql`select segment_id, deleted_slots from analytics_segments where project_id = ${projectId}::uuid and ${which}
         order by min_ts, segment_id`,
  );
  let removed = 0;
  let rewritten = 0;
  for (const { segment_id, deleted_slots } of candidates) {
    if (removal.maxSegments !== undefined && rewritten >= removal.maxSegments) break;
    const id = Number(segment_id);
    const rows = await queryRows<{ name: string; data: Uint8Array }>(
      tx,
      sql`select name, data from analytics_segment_columns where project_id = ${projectId}::uuid and segment_id = ${id}`,
    );
    const columns = new Map(rows.map((row) => [row.name, decodeColumn(row.data)]));
    const times = (columns.get(TS_COLUMN) as Extract<Column, { kind: typeof NUMBERS_F64 }>).values;
    const keep = keepMask(times.length, parseSlots(deleted_slots));
    if (removal.before !== undefined)
      for (let i = 0; i < times.length; i++) if (times[i]! < removal.before) keep[i] = 0;
    let kept = 0;
    for (let i = 0; i < keep.length; i++) kept += keep[i]!;
    if (kept === times.length) continue;
    removed += times.length - kept;
    rewritten++;
    if (kept > 0) {
      const { columns: encoded, min, max, count } = mergeColumns([keepSlots(columns, keep)]);
      const values = segmentColumnValuesSql(encoded);
      await tx.execute(insertSegmentRowsSql(projectId, min, max, count, values));
    }
    await tx.execute(
      sql`delete from analytics_segment_columns where project_id = ${projectId}::uuid and segment_id = ${id}`,
    );
    await tx.execute(sql`delete from analytics_segments where project_id = ${projectId}::uuid and segment_id = ${id}`);
  }
  return removed;
}
