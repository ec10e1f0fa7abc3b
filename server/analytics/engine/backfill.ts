/**
 * The engine's background maintenance of existing data (README.md beside this file, "Upgrade"):
 *   - the upgrade backfill: segments for the events stored before the engine existed, for every project the
 *     migration marked 'backfilling'; afterwards every event is in exactly one segment and the status is 'ready';
 *   - the new-dimension backfill: a dimension column for segments written before its row was added to
 *     shared/dimensions.ts.
 *
 * Why the upgrade backfill is exact while ingest goes on. It walks a project's events in primary-key order
 * (project_id, insert_id) from analytics_engine_state.cursor, one chunk per transaction, and each chunk first takes
 * the project's write lock exclusively (server/db/project-write-lock.ts) and its row FOR UPDATE. storeEvents holds
 * that lock shared, and FOR KEY SHARE on the row, for its whole transaction, so while a chunk runs no event of the
 * project is being stored, and every event stored before it is committed together with its segment (the writer is
 * in the same transaction). The chunk then leaves out the events the writer has already segmented: the insert ids of
 * every segment it has not seen yet (read from their '$insert_id' columns, kept in memory, only those ahead of the
 * cursor). Events stored later either land behind the cursor (never read again) or ahead of it with their segment
 * (left out when reached). The cursor, the count and, after the last chunk, 'ready' are written in the chunk's own
 * transaction, so a crash at any point resumes exactly. (FOR UPDATE alone is not enough: overlapping writers can
 * keep FOR KEY SHARE held without a gap, and in a test under steady ingest it never got its turn in 90 s.)
 *
 * Rules: every event written by a process of the previous release must be stored before the new release starts
 * (its workers stopped), since such an event landing behind the cursor would never be read; and the compactor
 * leaves a project alone while it is 'backfilling' (engine-maintenance.ts), which only keeps the memory here small.
 */
import { sql } from "drizzle-orm";
import { DIMENSIONS } from "../../../shared/dimensions.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { projectWriteLockSql } from "../../db/project-write-lock.ts";
import type { Logger } from "../../logger.ts";
import { decodeColumn, encodeDictionary, NUMBERS_F64, STRINGS } from "./column-codec.ts";
import { deletedSlotsOf } from "./segment-deletions.ts";
import { INSERT_ID_COLUMN, SEGMENT_CAPACITY, TS_COLUMN } from "./segment-layout.ts";
import { toTextArray } from "./segment-store.ts";
import {
  encodeSegment,
  insertSegmentRowsSql,
  type SegmentEvent,
  type SegmentSourceRow,
  segmentColumnValuesSql,
} from "./write-segments.ts";

export const BACKFILLING = "backfilling";
export const READY = "ready";

/** The lock the compactor takes (compact-segments.ts): one process at a time changes a project's segments. */
const segmentsLockSql = (projectId: string) =>
  sql`select pg_try_advisory_xact_lock(hashtextextended('analytics_segments:' || ${projectId}::text, 0)) as locked`;

/** What one backfill chunk did. */
export interface BackfillChunk {
  projectId: string;
  /** Events of the chunk written into a new segment. */
  written: number;
  /** Events of the chunk the writer had already segmented. */
  skipped: number;
  /** Events backfilled for the project so far, and the estimate of all it will backfill. */
  done: number;
  total: number;
  /** The project is 'ready' now. */
  finished: boolean;
}

interface ProjectProgress {
  /** Segments whose insert ids were read (or that this process wrote). */
  seen: Set<number>;
  /** Insert ids ahead of the cursor that the writer has already segmented. */
  segmented: Set<string>;
  total: number;
  startedAt: number;
}

/**
 * The upgrade backfill of one process. Holds per project what it learnt of the writer's segments; several processes
 * may run one each (a chunk is one process's at a time), and a new one simply reads those segments again.
 */
export class EngineBackfill {
  private readonly progress = new Map<string, ProjectProgress>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: { chunkSize?: number } = {},
  ) {}

  /** Projects still 'backfilling'. */
  async pendingProjects(): Promise<string[]> {
    const rows = await queryRows<{ project_id: string }>(
      this.db,
      sql`select project_id::text as project_id from analytics_engine_state where status = ${BACKFILLING} order by project_id`,
    );
    return rows.map((row) => row.project_id);
  }

  /**
   * Backfills the next chunk of a project in one transaction. Returns null when another process holds the project
   * (or it is not backfilling any more).
   */
  async backfillChunk(projectId: string): Promise<BackfillChunk | null> {
    const chunkSize = Math.min(this.options.chunkSize ?? SEGMENT_CAPACITY, SEGMENT_CAPACITY);
    const progress = await this.progressOf(projectId);
    if (!progress) return null;
    const result = await this.db.transaction(async (tx) => {
      const [lock] = await queryRows<{ locked: boolean }>(tx, segmentsLockSql(projectId));
      if (!lock?.locked) return null;
      // Writers of the project wait from here to COMMIT: the write lock once the ones holding it have committed (new
      // ones queue behind this request), and the row lock holds back anything else that takes FOR KEY SHARE on it.
      await tx.execute(sql`select ${projectWriteLockSql(sql`${projectId}::text`, "exclusive")}`);
      const project = await queryRows(tx, sql`select 1 from projects where id = ${projectId}::uuid for update`);
      const [state] = await queryRows<{ status: string; cursor: string | null; backfilled: string | number }>(
        tx,
        sql`select status, cursor, backfilled from analytics_engine_state where project_id = ${projectId}::uuid for update`,
      );
      if (!state || state.status !== BACKFILLING) return null;
      if (project.length === 0) {
        // Deleted meanwhile: nothing left to serve.
        await tx.execute(sql`delete from analytics_engine_state where project_id = ${projectId}::uuid`);
        return null;
      }
      await this.learnWriterSegments(tx, projectId, progress, state.cursor);
      // Walk the keys (cheap: the primary key's index) up to chunkSize events not yet segmented, then read those.
      const walkLimit = chunkSize * KEY_WALK_FACTOR;
      const keys = await keysAfter(tx, projectId, state.cursor, walkLimit);
      const wanted: string[] = [];
      let cursor = state.cursor;
      let skipped = 0;
      for (const key of keys) {
        cursor = key;
        if (progress.segmented.delete(key)) skipped++;
        else if (wanted.push(key) === chunkSize) break;
      }
      const finished = wanted.length < chunkSize && keys.length < walkLimit;
      const events = wanted.length > 0 ? await readEvents(tx, projectId, state.cursor, cursor!, wanted) : [];
      if (events.length !== wanted.length)
        throw new Error(`backfill of ${projectId}: events vanished during the chunk`);
      if (events.length > 0) {
        await tx.execute(insertSegmentSql(projectId, events));
        const [own] = await queryRows<{ id: string | number }>(
          tx,
          sql`select currval('analytics_segment_id_seq') as id`,
        );
        progress.seen.add(Number(own!.id));
      }
      const done = Number(state.backfilled) + events.length;
      await tx.execute(
        sql`update analytics_engine_state
               set cursor = ${cursor}, backfilled = ${done}, status = ${finished ? READY : BACKFILLING}, updated_at = now()
             where project_id = ${projectId}::uuid`,
      );
      return { projectId, written: events.length, skipped, done, finished };
    });
    if (!result) return null;
    const total = Math.max(progress.total, result.done);
    if (result.finished) {
      this.progress.delete(projectId);
      this.logger.info("engine backfill: project ready, the query engine serves it now", {
        project: projectId,
        done: result.done,
        total,
        seconds: Math.round((Date.now() - progress.startedAt) / 100) / 10,
      });
    } else {
      this.logger.info("engine backfill: progress", {
        project: projectId,
        done: result.done,
        total,
        written: result.written,
        skipped: result.skipped,
      });
    }
    return { ...result, total };
  }

  /** The project's progress, estimated once per process (one count of the events still ahead of the cursor). */
  private async progressOf(projectId: string): Promise<ProjectProgress | null> {
    const known = this.progress.get(projectId);
    if (known) return known;
    const [row] = await queryRows<{ backfilled: string | number; ahead: string | number }>(
      this.db,
      sql`select s.backfilled,
                 (select count(*) from events e where e.project_id = s.project_id
                     and (s.cursor is null or e.insert_id > s.cursor)) as ahead
            from analytics_engine_state s where s.project_id = ${projectId}::uuid and s.status = ${BACKFILLING}`,
    );
    if (!row) return null;
    const progress: ProjectProgress = {
      seen: new Set(),
      segmented: new Set(),
      total: Number(row.backfilled) + Number(row.ahead),
      startedAt: Date.now(),
    };
    this.progress.set(projectId, progress);
    this.logger.info("engine backfill: started", {
      project: projectId,
      done: Number(row.backfilled),
      total: progress.total,
    });
    return progress;
  }

  /** Adds the insert ids ahead of `cursor` of every segment of the project not seen yet. */
  private async learnWriterSegments(
    tx: Database,
    projectId: string,
    progress: ProjectProgress,
    cursor: string | null,
  ): Promise<void> {
    const listed = await queryRows<{ segment_id: string | number }>(
      tx,
      sql`select segment_id from analytics_segments where project_id = ${projectId}::uuid`,
    );
    const fresh = listed.map((row) => Number(row.segment_id)).filter((id) => !progress.seen.has(id));
    if (fresh.length === 0) return;
    const columns = await queryRows<{ segment_id: string | number; data: Uint8Array }>(
      tx,
      sql`select segment_id, data from analytics_segment_columns
           where project_id = ${projectId}::uuid and name = ${INSERT_ID_COLUMN}
             and segment_id = any(${`{${fresh.join(",")}}`}::bigint[])`,
    );
    const ids: string[] = [];
    for (const row of columns) {
      const column = decodeColumn(row.data);
      if (column.kind !== STRINGS) throw new Error(`segment ${row.segment_id}: '${INSERT_ID_COLUMN}' is not strings`);
      for (const id of column.values) ids.push(id);
    }
    // Only ids ahead of the cursor can come up again; the comparison is the database's (its collation orders the key).
    if (ids.length > 0) {
      const ahead = await queryRows<{ id: string }>(
        tx,
        cursor === null
          ? sql`select unnest(${toTextArray(ids)}::text[]) as id`
          : sql`select id from unnest(${toTextArray(ids)}::text[]) as t(id) where id > ${cursor}`,
      );
      for (const row of ahead) progress.segmented.add(row.id);
    }
    for (const id of fresh) progress.seen.add(id);
  }
}

/** The dimension columns as the fields the writer reads (SegmentSourceRow), for a SELECT over `events e`. */
const dimensionSelect = (columns: readonly { column: string; field: string }[]) =>
  sql.raw(columns.map((d) => `e.${d.column} as "${d.field}"`).join(", "));

interface EventReadRow extends Record<string, unknown> {
  insert_id: string;
  ms: string | number;
  props: string | null;
  session_num: string | number;
  user_num: string | number;
}

/**
 * Keys walked per chunk, as a multiple of the chunk's size: the events the writer segmented are walked over in the
 * index without reading their rows, so the walk outruns ingest even where new keys land just ahead of the cursor
 * (the SDK's insert ids are UUIDv7, time-ordered: new events extend the end of the key range).
 */
const KEY_WALK_FACTOR = 4;

/** Up to `limit` insert ids of the project after `cursor`, in key order. */
async function keysAfter(tx: Database, projectId: string, cursor: string | null, limit: number): Promise<string[]> {
  const rows = await queryRows<{ insert_id: string }>(
    tx,
    sql`select insert_id from events
         where project_id = ${projectId}::uuid ${cursor === null ? sql`` : sql`and insert_id > ${cursor}`}
         order by project_id, insert_id limit ${limit}`,
  );
  return rows.map((row) => row.insert_id);
}

/**
 * The events of the project with these insert ids, all in the key range (after, through], with their session and
 * user nums (-1 when none) and their properties as the text `properties ->> key` gives (what property filters
 * compare). The range keeps the plan an index range scan however many ids there are.
 */
async function readEvents(
  tx: Database,
  projectId: string,
  after: string | null,
  through: string,
  insertIds: readonly string[],
): Promise<SegmentEvent[]> {
  const rows = await queryRows<EventReadRow>(
    tx,
    sql`select e.insert_id, floor(extract(epoch from e.timestamp) * 1000)::float8 as ms,
               ${dimensionSelect(DIMENSIONS)},
               case when jsonb_typeof(e.properties) = 'object'
                    then (select json_object_agg(k, v) from jsonb_each_text(e.properties) as p(k, v))::text end as props,
               coalesce(s.num, -1) as session_num, coalesce(u.num, -1) as user_num
          from events e
          left join analytics_sessions s on s.project_id = e.project_id and s.session_id = e.session_id
          left join analytics_users u on u.project_id = e.project_id and u.distinct_id = e.distinct_id
         where e.project_id = ${projectId}::uuid ${after === null ? sql`` : sql`and e.insert_id > ${after}`}
           and e.insert_id <= ${through} and e.insert_id = any(${toTextArray(insertIds)}::text[])`,
  );
  return rows.map((row) => {
    const source: Record<string, unknown> = {
      projectId,
      insertId: row.insert_id,
      properties: row.props === null ? null : (JSON.parse(row.props) as Record<string, string | null>),
    };
    for (const dimension of DIMENSIONS) source[dimension.field] = row[dimension.field] ?? null;
    return {
      row: source as unknown as SegmentSourceRow,
      time: Number(row.ms),
      sessionNum: Number(row.session_num),
      userNum: Number(row.user_num),
    };
  });
}

function insertSegmentSql(projectId: string, events: readonly SegmentEvent[]) {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const { time } of events) {
    if (time < min) min = time;
    if (time > max) max = time;
  }
  return insertSegmentRowsSql(projectId, min, max, events.length, segmentColumnValuesSql(encodeSegment(events)));
}

/** Progress of the upgrade backfill over the whole installation (for /api/v1/metrics). */
export async function readBackfillProgress(
  db: Database,
): Promise<{ pendingProjects: number; backfilledEvents: number }> {
  const [row] = await queryRows<{ pending: string | number; backfilled: string | number }>(
    db,
    sql`select count(*) filter (where status = ${BACKFILLING}) as pending, coalesce(sum(backfilled), 0) as backfilled
          from analytics_engine_state`,
  );
  return { pendingProjects: Number(row?.pending ?? 0), backfilledEvents: Number(row?.backfilled ?? 0) };
}

// ---------------------------------------------------------------------------------------------------------------
// The new-dimension backfill.

/** A segment lacking some dimension columns of the table. */
export interface IncompleteSegment {
  projectId: string;
  segmentId: number;
}

/**
 * Segments (with id above `after`) lacking a column for some dimension of shared/dimensions.ts, in id order. Every
 * segment the writer and the compactor write has them all, so only segments from before a dimension row was added
 * are listed.
 */
export async function segmentsMissingDimensions(db: Database, after = 0, limit = 100): Promise<IncompleteSegment[]> {
  const rows = await queryRows<{ project_id: string; segment_id: string | number }>(
    db,
    sql`select s.project_id::text as project_id, s.segment_id from analytics_segments s
         where s.segment_id > ${after}::bigint
           and exists (select 1 from unnest(${toTextArray(DIMENSIONS.map((d) => d.name))}::text[]) as d(name)
                        where not exists (select 1 from analytics_segment_columns c
                                           where c.project_id = s.project_id and c.segment_id = s.segment_id
                                             and c.name = d.name))
         order by s.segment_id limit ${limit}`,
  );
  return rows.map((row) => ({ projectId: row.project_id, segmentId: Number(row.segment_id) }));
}

/** The highest segment id (0 when there is none): segments up to it have been looked at. */
export async function lastSegmentId(db: Database): Promise<number> {
  const [row] = await queryRows<{ id: string | number | null }>(
    db,
    sql`select max(segment_id) as id from analytics_segments`,
  );
  return Number(row?.id ?? 0);
}

/**
 * Rewrites one segment with the dimension columns it lacks, built from its events (found by its '$insert_id'
 * column), under a new segment id: segments are immutable, readers cache them by id. Insert and delete are one
 * transaction under the compactor's lock, and the project's row is held FOR KEY SHARE so a deletion of the project's
 * data waits. Returns the names of the columns added (empty when the segment is gone, complete, or locked).
 */
export async function addDimensionColumns(db: Database, segment: IncompleteSegment, logger: Logger): Promise<string[]> {
  const { projectId, segmentId } = segment;
  return db.transaction(async (tx) => {
    const [lock] = await queryRows<{ locked: boolean }>(tx, segmentsLockSql(projectId));
    if (!lock?.locked) return [];
    await tx.execute(sql`select 1 from projects where id = ${projectId}::uuid for key share`);
    const stored = await queryRows<{ name: string; data: Uint8Array }>(
      tx,
      sql`select name, data from analytics_segment_columns
           where project_id = ${projectId}::uuid and segment_id = ${segmentId}::bigint`,
    );
    const columns = new Map(stored.map((row) => [row.name, row.data]));
    const missing = DIMENSIONS.filter((d) => !columns.has(d.name));
    const idData = columns.get(INSERT_ID_COLUMN);
    const tsData = columns.get(TS_COLUMN);
    if (missing.length === 0 || !idData || !tsData) return [];
    const ids = decodeColumn(idData);
    const ts = decodeColumn(tsData);
    if (ids.kind !== STRINGS || ts.kind !== NUMBERS_F64) throw new Error(`segment ${segmentId}: unexpected columns`);
    const found = await queryRows<Record<string, string | null> & { insert_id: string }>(
      tx,
      sql`select e.insert_id, ${dimensionSelect(missing)} from events e
           where e.project_id = ${projectId}::uuid and e.insert_id = any(${toTextArray(ids.values)}::text[])`,
    );
    const byId = new Map(found.map((row) => [row.insert_id, row]));
    if (byId.size !== ids.values.length) {
      logger.warn("engine: some events of a segment are gone; their new dimension columns stay empty", {
        project: projectId,
        segment: segmentId,
        missingEvents: ids.values.length - byId.size,
      });
    }
    const out = new Map<string, Uint8Array>(columns);
    for (const dimension of missing) {
      out.set(dimension.name, encodeDictionary(ids.values.map((id) => byId.get(id)?.[dimension.field] ?? null)));
    }
    const count = ts.values.length;
    // Same slots in the same order: the copy keeps the segment's deleted slots (segment-deletions.ts).
    const deleted = (await deletedSlotsOf(tx, projectId, [segmentId])).get(segmentId) ?? [];
    await tx.execute(
      insertSegmentRowsSql(
        projectId,
        ts.values[0] ?? 0,
        ts.values[count - 1] ?? 0,
        count,
        segmentColumnValuesSql(out),
        deleted,
      ),
    );
    await tx.execute(
      sql`delete from analytics_segment_columns where project_id = ${projectId}::uuid and segment_id = ${segmentId}::bigint`,
    );
    await tx.execute(
      sql`delete from analytics_segments where project_id = ${projectId}::uuid and segment_id = ${segmentId}::bigint`,
    );
    return missing.map((d) => d.name);
  });
}
