/**
 * The engine's writer: turns the events one transaction added into a segment per project (server/db/schema/engine.ts),
 * inside that transaction. Called by applyRollups with exactly the rows the insert added and the session and user
 * nums it gave them, so a redelivered batch writes nothing and every stored event is in exactly one segment.
 */
import { type SQL, sql } from "drizzle-orm";
import { DIMENSIONS } from "../../../shared/dimensions.ts";
import type { Database } from "../../db/client.ts";
import { encodeDictionary, encodeF64, encodeI32, encodeStrings } from "./column-codec.ts";
import { propertyText } from "./property-text.ts";
import { INSERT_ID_COLUMN, propertyColumn, SESSION_COLUMN, TS_COLUMN, USER_COLUMN } from "./segment-layout.ts";

/** What the writer reads of a stored event: its dimension fields (by the dimension table), properties, insert id. */
export interface SegmentSourceRow {
  projectId: string;
  insertId: string;
  properties?: Record<string, unknown> | null;
}

/** One event of a segment to be: its row, time (epoch ms) and nums (-1 for none). */
export interface SegmentEvent {
  row: SegmentSourceRow;
  time: number;
  sessionNum: number;
  userNum: number;
}

/** Writes one segment per project of `events`, in the caller's transaction. */
export async function writeSegments(tx: Database, events: readonly SegmentEvent[]): Promise<void> {
  const byProject = new Map<string, SegmentEvent[]>();
  for (const event of events) {
    let list = byProject.get(event.row.projectId);
    if (!list) {
      list = [];
      byProject.set(event.row.projectId, list);
    }
    list.push(event);
  }
  for (const [projectId, list] of byProject) await tx.execute(insertSegmentSql(projectId, list));
}

/** The columns of a segment of `events` (any order; sorted by time here), by column name. */
export function encodeSegment(events: readonly SegmentEvent[]): Map<string, Uint8Array> {
  // Batches mostly arrive in time order already (UUIDv7 insert ids sort by time): then no sort is needed.
  let inOrder = true;
  for (let i = 1; i < events.length && inOrder; i++) inOrder = events[i - 1]!.time <= events[i]!.time;
  const sorted = inOrder ? events : events.toSorted((a, b) => a.time - b.time);
  const n = sorted.length;
  const times = new Float64Array(n);
  const sessions = new Int32Array(n);
  const users = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const event = sorted[i]!;
    times[i] = event.time;
    sessions[i] = event.sessionNum;
    users[i] = event.userNum;
  }
  const columns = new Map<string, Uint8Array>([
    [TS_COLUMN, encodeF64(times)],
    [SESSION_COLUMN, encodeI32(sessions)],
    [USER_COLUMN, encodeI32(users)],
    [INSERT_ID_COLUMN, encodeStrings(sorted.map((e) => e.row.insertId))],
  ]);
  for (const dimension of DIMENSIONS) {
    const field = dimension.field as string;
    const values = sorted.map((e) => (e.row as unknown as Record<string, string | null>)[field] ?? null);
    columns.set(dimension.name, encodeDictionary(values));
  }
  // One column per property key any event of the segment has.
  const propertyValues = new Map<string, Array<string | null>>();
  for (let i = 0; i < n; i++) {
    const properties = sorted[i]!.row.properties;
    if (!properties) continue;
    for (const key in properties) {
      let values = propertyValues.get(key);
      if (!values) {
        values = new Array<string | null>(n).fill(null);
        propertyValues.set(key, values);
      }
      values[i] = propertyText(properties[key]);
    }
  }
  for (const [key, values] of propertyValues) columns.set(propertyColumn(key), encodeDictionary(values));
  return columns;
}

function insertSegmentSql(projectId: string, events: readonly SegmentEvent[]): SQL {
  const columns = encodeSegment(events);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const { time } of events) {
    if (time < min) min = time;
    if (time > max) max = time;
  }
  const values = segmentColumnValuesSql(columns);
  return insertSegmentRowsSql(projectId, min, max, events.length, values);
}

/**
 * A segment's columns as the (name, data) tuples insertSegmentRowsSql takes. The bytes travel as base64 text and
 * PostgreSQL decodes them: half the cost of the drivers' hex form for bytea (0.13 vs 0.29 µs per event encoded).
 */
export function segmentColumnValuesSql(columns: ReadonlyMap<string, Uint8Array>): SQL {
  return sql.join(
    [...columns].map(
      ([name, data]) =>
        sql`(${name}::text, decode(${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64")}::text, 'base64'))`,
    ),
    sql`, `,
  );
}

/**
 * One statement: a new segment id, the segment's row and its column rows (`values`: (name, data) tuples), with the
 * slots already deleted in it when it is a copy of a segment that had some (segment-deletions.ts).
 */
export function insertSegmentRowsSql(
  projectId: string,
  min: number,
  max: number,
  count: number,
  values: SQL,
  deletedSlots: readonly number[] = [],
): SQL {
  const deleted = deletedSlots.length > 0 ? `{${deletedSlots.join(",")}}` : null;
  return sql`
    with segment as (select nextval('analytics_segment_id_seq') as id),
    listed as (
      insert into analytics_segments (project_id, segment_id, min_ts, max_ts, event_count, deleted_slots)
      select ${projectId}::uuid, id, ${new Date(min).toISOString()}::timestamptz, ${new Date(max).toISOString()}::timestamptz, ${count}::int,
             ${deleted}::integer[]
        from segment
    )
    insert into analytics_segment_columns (project_id, segment_id, name, data)
    select ${projectId}::uuid, segment.id, c.name, c.data from segment, (values ${values}) as c(name, data)`;
}
