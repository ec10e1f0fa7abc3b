/**
 * The query engine's storage (server/analytics/engine/README.md): every stored event, once, in columnar segments.
 * A segment is the events one transaction added for one project (sorted by time), or several such merged by the
 * compactor; it is written whole and never changed, only replaced, so readers cache its columns by segment id. Ids
 * come from one sequence and are never reused, not even after a project's data is deleted.
 */
import {
  bigint,
  customType,
  index,
  integer,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

export const analyticsSegmentIdSeq = pgSequence("analytics_segment_id_seq");

/** One row per segment: its time span and size, which readers list per query to pick the segments of a range. */
export const analyticsSegments = pgTable(
  "analytics_segments",
  {
    projectId: uuid().notNull(),
    segmentId: bigint({ mode: "number" }).notNull(),
    minTs: timestamp({ withTimezone: true }).notNull(),
    maxTs: timestamp({ withTimezone: true }).notNull(),
    eventCount: integer().notNull(),
    /**
     * Slots (0-based, ascending) of events deleted since the segment was written: a person's deletion marks them here
     * instead of rewriting every segment the person's events are in (a 10 M-event project's columns are ~750 MB).
     * Readers drop these slots when they load columns; a segment that gets deletions is re-listed under a new id
     * (its columns move with it, unchanged), so caches keyed by id never see a stale copy. The maintenance loop
     * then rewrites such segments without the slots (purgeDeletedSlots), and every other rewrite drops them too.
     */
    deletedSlots: integer().array(),
    /** When it was written: the compactor merges small segments once they are numerous or old enough. */
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: "analytics_segments_pkey", columns: [table.projectId, table.segmentId] }),
    index("analytics_segments_span_idx").on(table.projectId, table.maxTs, table.minTs),
  ],
);

/**
 * A segment's columns, one row each ('$ts', '$session', '$user', '$insert_id', a dimension's name, or 'p:<key>' for
 * a property), in the binary forms of server/analytics/engine/column-codec.ts. A property column exists only in
 * segments where some event has the key. Stored uncompressed (STORAGE EXTERNAL, in the migration): the codes are
 * already compact, and reads skip pglz's decompression.
 */
export const analyticsSegmentColumns = pgTable(
  "analytics_segment_columns",
  {
    projectId: uuid().notNull(),
    segmentId: bigint({ mode: "number" }).notNull(),
    name: text().notNull(),
    data: bytea().notNull(),
  },
  (table) => [
    primaryKey({ name: "analytics_segment_columns_pkey", columns: [table.projectId, table.segmentId, table.name] }),
  ],
);

/**
 * Whether the engine holds all of a project's events. A project without a row was created after the engine
 * existed: every event it has went through the writer, so the engine serves it. 'backfilling' rows are the projects
 * that had events before the upgrade (the migration adds them); readers use the rollups and raw events for them
 * until the backfill (server/analytics/engine/backfill.ts) has written segments for those events and sets 'ready'.
 */
export const analyticsEngineState = pgTable("analytics_engine_state", {
  projectId: uuid().primaryKey(),
  status: text().notNull(),
  /** The backfill's position: the last insert_id (in primary-key order) it has read, or null before it starts. */
  cursor: text(),
  backfilled: bigint({ mode: "number" }).notNull().default(0),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
