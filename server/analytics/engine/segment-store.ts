/**
 * Reading segments: which segments cover a range, and their columns, through a per-process cache. Segments are
 * immutable and their ids never reused (server/db/schema/engine.ts), so a cached column is valid for as long as its
 * segment exists; a replaced segment (compaction, deletions) simply stops being listed and ages out of the cache.
 * A segment with deleted slots (a person's deletion, segment-deletions.ts) is listed under a new id, so its cached
 * columns are always of its current deletions; they are loaded without those slots.
 * The cache is a plain LRU bounded in bytes (ANALYTICS_ENGINE_CACHE_MB): warm reads of a 30-day dashboard touch
 * only memory, cold ones read the columns they need, never whole segments.
 */
import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";
import { LINK_KIND, SESSION_KIND, USER_KIND, USER_REMOVAL_KIND } from "../rollup-layout.ts";
import { type Column, columnBytes, DICTIONARY, decodeColumn } from "./column-codec.ts";
import { deletedSlotsOf, keepColumnSlots, keepMask } from "./segment-deletions.ts";
import { TS_COLUMN } from "./segment-layout.ts";

export interface SegmentInfo {
  id: number;
  minTs: number;
  maxTs: number;
  count: number;
  /** Some of its slots are deleted (segment-deletions.ts): loaded columns leave them out. Absent: none. */
  hasDeletions?: boolean;
}

/** What one listing tells: whether the engine serves the project, and the segments overlapping the range. */
export interface ProjectSnapshot {
  /** null when the project has no engine state row (created after the upgrade), else its status. */
  status: string | null;
  segments: SegmentInfo[];
  /** Highest session and user num handed out (sizes of the member spaces), and the last link's seq. */
  lastSessionNum: number;
  lastUserNum: number;
  lastLinkSeq: number;
  /**
   * The user-removal counter (user-removals.ts): it moves whenever users rows go, and when a project's events are
   * deleted, which starts nums and link seqs again from 1, so caches by num or seq must start again too.
   */
  userRemovals: number;
}

interface SnapshotRow extends Record<string, unknown> {
  status: string | null;
  counters: string | null;
  segments: string | null;
}

/** The engine state and the segments overlapping [from, to) of a project, in one round trip. */
export async function readSnapshot(
  db: Database,
  projectId: string,
  from: number,
  to: number,
): Promise<ProjectSnapshot> {
  const [row] = await queryRows<SnapshotRow>(
    db,
    sql`select
      (select status from analytics_engine_state where project_id = ${projectId}::uuid) as status,
      (select json_object_agg(kind, last_id)::text from analytics_id_counters where project_id = ${projectId}::uuid) as counters,
      (select json_agg(json_build_array(segment_id, (extract(epoch from min_ts) * 1000)::float8,
                                        (extract(epoch from max_ts) * 1000)::float8, event_count,
                                        deleted_slots is not null) order by segment_id)::text
         from analytics_segments
        where project_id = ${projectId}::uuid and max_ts >= ${new Date(from).toISOString()}::timestamptz
          and min_ts < ${new Date(to).toISOString()}::timestamptz) as segments`,
  );
  const counters = JSON.parse(row?.counters ?? "{}") as Record<string, number>;
  const listed = JSON.parse(row?.segments ?? "[]") as Array<[number, number, number, number, boolean]>;
  return {
    status: row?.status ?? null,
    segments: listed.map(([id, minTs, maxTs, count, hasDeletions]) => ({
      id: Number(id),
      minTs,
      maxTs,
      count,
      hasDeletions,
    })),
    lastSessionNum: Number(counters[SESSION_KIND] ?? 0),
    lastUserNum: Number(counters[USER_KIND] ?? 0),
    lastLinkSeq: Number(counters[LINK_KIND] ?? 0),
    userRemovals: Number(counters[USER_REMOVAL_KIND] ?? 0),
  };
}

/** True when the engine holds every event of the project (no state row, or 'ready'): see analytics_engine_state. */
export async function engineServesProject(db: Database, projectId: string): Promise<boolean> {
  const [row] = await queryRows<{ status: string }>(
    db,
    sql`select status from analytics_engine_state where project_id = ${projectId}::uuid`,
  );
  return row === undefined || row.status === "ready";
}

/** A segment that was listed but is gone when its columns were read (replaced by the compactor meanwhile). */
export class SegmentReplacedError extends Error {}

/** A column a segment does not have: a property no event of it carries (every slot missing). */
export const ABSENT = null;

/**
 * One id per distinct dictionary value across all cached segments, so a value shared by 150 segments is one string
 * in memory, and grouping by value adds per-segment counts by id into one array instead of a Map per segment
 * (topValues). Bounded: past MAX_POOLED values (a property with a value per event), columns stay unpooled and
 * grouping falls back to strings.
 */
export class ValuePool {
  static readonly MAX_POOLED = 2_000_000;
  private readonly idOf = new Map<string, number>();
  readonly values: string[] = [];

  /** Pools a dictionary column's entries in place (shared strings, `ids`), unless the pool is full. */
  pool(column: Column): void {
    if (column.kind !== DICTIONARY || this.values.length + column.entries.length > ValuePool.MAX_POOLED) return;
    const ids = new Int32Array(column.entries.length);
    for (let i = 0; i < column.entries.length; i++) {
      const entry = column.entries[i]!;
      let id = this.idOf.get(entry);
      if (id === undefined) {
        id = this.values.length;
        this.values.push(entry);
        this.idOf.set(entry, id);
      }
      ids[i] = id;
      column.entries[i] = this.values[id]!;
    }
    column.ids = ids;
  }

  get size(): number {
    return this.values.length;
  }
}

export class SegmentCache {
  private readonly entries = new Map<string, { column: Column | null; bytes: number }>();
  private bytes = 0;
  readonly values = new ValuePool();

  constructor(private readonly budgetBytes: number) {}

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /**
   * The `names` columns of every segment, as columns[segmentIndex][nameIndex] (ABSENT when the segment lacks it).
   * Reads what the cache misses in one statement. Throws SegmentReplacedError when a listed segment is gone.
   */
  async load(
    db: Database,
    projectId: string,
    segments: readonly SegmentInfo[],
    names: readonly string[],
  ): Promise<Array<Array<Column | null>>> {
    const missing = new Map<number, Set<string>>();
    const result = segments.map((segment) =>
      names.map((name) => {
        const hit = this.touch(`${segment.id}/${name}`);
        if (hit !== undefined) return hit;
        let wanted = missing.get(segment.id);
        if (!wanted) {
          wanted = new Set([TS_COLUMN]);
          missing.set(segment.id, wanted);
        }
        wanted.add(name);
        return ABSENT;
      }),
    );
    if (missing.size === 0) return result;
    const ids = [...missing.keys()];
    const allNames = [...new Set([...missing.values()].flatMap((set) => [...set]))];
    const rows = await queryRows<{ segment_id: string | number; name: string; data: Uint8Array }>(
      db,
      sql`select segment_id, name, data from analytics_segment_columns
           where project_id = ${projectId}::uuid and segment_id = any(${`{${ids.join(",")}}`}::bigint[])
             and name = any(${toTextArray(allNames)}::text[])`,
    );
    const withDeletions = segments.filter((segment) => segment.hasDeletions && missing.has(segment.id));
    const deleted = await deletedSlotsOf(
      db,
      projectId,
      withDeletions.map((segment) => segment.id),
    );
    const keepOf = new Map<number, Uint8Array>();
    const found = new Map<string, Column>();
    for (const row of rows) {
      let column = decodeColumn(row.data);
      const slots = deleted.get(Number(row.segment_id));
      if (slots) {
        const length = column.kind === DICTIONARY ? column.codes.length : column.values.length;
        const keep = keepOf.get(Number(row.segment_id)) ?? keepMask(length, slots);
        keepOf.set(Number(row.segment_id), keep);
        column = keepColumnSlots(column, keep);
      }
      this.values.pool(column);
      found.set(`${row.segment_id}/${row.name}`, column);
    }
    segments.forEach((segment, s) => {
      const wanted = missing.get(segment.id);
      if (!wanted) return;
      if (!found.has(`${segment.id}/${TS_COLUMN}`)) throw new SegmentReplacedError(`segment ${segment.id} is gone`);
      for (const name of wanted) {
        const key = `${segment.id}/${name}`;
        const column = found.get(key) ?? ABSENT;
        this.put(key, column);
        const index = names.indexOf(name);
        if (index >= 0) result[s]![index] = column;
      }
    });
    return result;
  }

  private touch(key: string): Column | null | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.column;
  }

  private put(key: string, column: Column | null): void {
    const bytes = (column ? columnBytes(column) : 0) + 64;
    const old = this.entries.get(key);
    if (old) this.bytes -= old.bytes;
    this.entries.set(key, { column, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
}

/** A PostgreSQL text[] literal of arbitrary strings (each quoted, quotes and backslashes escaped). */
export function toTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
}
