/**
 * Retention (projects.retention_days, shared/projects.ts): raw events older than the project's horizon, and their
 * copies in the query engine's segments, are removed by the worker's maintenance loop (engine-maintenance.ts), a
 * bounded batch per project per step, each batch its own short transaction, so no lock is held for long and the
 * deletes spread over time (autovacuum keeps up; no bloat storm from one huge DELETE). `events` is not partitioned
 * by time: dedupe on (project_id, insert_id) must stay exact, and a partition key would have to join that key.
 *
 * The horizon is the start of the UTC day `retention_days` before now, so it falls on a bucket boundary of every
 * rollup size up to a day (quarter hour, hour, day). Without keep_aggregates_past_retention, rollup rows whose bucket
 * ends at or before the horizon are removed too (user weeks included), in the same batches, found per (dimension,
 * size) as index ranges; with it they stay, so unfiltered figures of older ranges still add up.
 *
 * Lock time, measured (bench/README.md "Retention while ingesting", 10 M events, 5,000 events/s offered into the
 * same project): a 5,000-event batch holds the lock about 0.4 s (p99 0.9 s), most of it the sessions and people
 * step and the wait for the writers; the pipeline's lag p99 stayed under 2 s.
 *
 * The keys of bot events the filter dropped (bot_filtered_events) older than the horizon go in the same batches.
 *
 * Each batch takes the project's write lock exclusively (server/db/project-write-lock.ts), like the engine's
 * backfill: the worker's transactions for the project wait for the batch (milliseconds) and never interleave with a
 * segment rewrite.
 *
 * The sessions, users and people tables follow each batch in its transaction (follow-removed-events.ts): sessions
 * left with no event go, straddling ones are recomputed, people's figures come from their remaining events, and a
 * person with no event left is removed whole, so one returning later looks new.
 */
import { sql } from "drizzle-orm";
import { retentionHorizon } from "../../../shared/projects.ts";
import { removeEventsFromSegments } from "../../analytics/engine/compact-segments.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { projectWriteLockSql } from "../../db/project-write-lock.ts";
import { followRemovedEvents, type RemovedGroup } from "./follow-removed-events.ts";

/** Events removed per transaction on PostgreSQL (a few tens of milliseconds of locked time at most). */
export const RETENTION_BATCH = 5_000;
/** Segments rewritten per transaction. */
const SEGMENTS_PER_BATCH = 2;

// The horizon's one definition lives in the contract (shared/projects.ts): readers use it too.
export { retentionHorizon };

export interface RetentionBatch {
  projectId: string;
  events: number;
  segmentEvents: number;
  rollupRows: number;
  /** Sessions deleted and recomputed, people deleted (follow-removed-events.ts). */
  sessions: number;
  recomputed: number;
  people: number;
  /** How long the batch's transaction took (ms): the time the project's writers may have waited. */
  ms: number;
  /** Where that time went, per step (lock wait, events, follow-removed-events, segments, rollups), ms. */
  steps: Record<string, number>;
  /** More is left to remove for this project. */
  more: boolean;
}

/** One batch for every project with a retention; returns what each removed. */
export async function applyRetention(
  db: Database,
  now: number,
  options: { batchSize?: number } = {},
): Promise<RetentionBatch[]> {
  const batchSize = options.batchSize ?? RETENTION_BATCH;
  const projects = await queryRows<{ id: string; retention_days: number; keep: boolean }>(
    db,
    sql`select id::text as id, retention_days, keep_aggregates_past_retention as keep from projects
         where retention_days is not null order by id`,
  );
  const out: RetentionBatch[] = [];
  for (const project of projects) {
    const horizon = new Date(retentionHorizon(now, project.retention_days)).toISOString();
    // Most steps find nothing older than the horizon: checked without the write lock, so writers never wait then.
    const [due] = await queryRows<{ due: boolean }>(
      db,
      sql`select exists (select 1 from events where project_id = ${project.id}::uuid
                           and "timestamp" < ${horizon}::timestamptz)
              or exists (select 1 from analytics_segments where project_id = ${project.id}::uuid
                           and min_ts < ${horizon}::timestamptz)
              or exists (select 1 from bot_filtered_events where project_id = ${project.id}::uuid
                           and "timestamp" < ${horizon}::timestamptz)
              or (${!project.keep} and exists (select 1 from analytics_rollups where project_id = ${project.id}::uuid
                           and bucket < ${horizon}::timestamptz - interval '7 days')) as due`,
    );
    if (!due?.due) continue;
    // Rollup rows can outlast the events (several per event): their batches then follow at once, so none is left
    // behind for a step whose pre-check no longer sees old events.
    let batch: RetentionBatch;
    do {
      const started = performance.now();
      const steps: Record<string, number> = {};
      let stepAt = started;
      const step = (name: string) => {
        const at = performance.now();
        steps[name] = Math.round(at - stepAt);
        stepAt = at;
      };
      batch = await db.transaction(async (tx) => {
        await tx.execute(sql`select ${projectWriteLockSql(sql`${project.id}::text`, "exclusive")}`);
        step("lock");
        // The oldest events first (followRemovedEvents relies on it: nothing older than the batch's newest deleted
        // event is left), grouped by (session, id) so a batch answers one row per pair, not per event.
        const groups = await queryRows<RemovedGroup & { newest: string }>(
          tx,
          sql`with d as (
                delete from events where ctid in (
                  select ctid from events where project_id = ${project.id}::uuid and "timestamp" < ${horizon}::timestamptz
                   order by "timestamp" limit ${batchSize})
                returning session_id, distinct_id, "timestamp"
              )
              select session_id, distinct_id, count(*) as n, (max(max("timestamp")) over ())::text as newest
                from d group by session_id, distinct_id`,
        );
        const events = { length: groups.reduce((sum, group) => sum + Number(group.n), 0) };
        step("events");
        const followed =
          groups.length > 0
            ? await followRemovedEvents(tx, project.id, groups, groups[0]!.newest)
            : { sessions: 0, recomputed: 0, people: 0 };
        step("follow");
        // The keys of dropped bot events are per-event records too: they go with the events of their time.
        const botKeys = await queryRows(
          tx,
          sql`delete from bot_filtered_events where ctid in (
              select ctid from bot_filtered_events
               where project_id = ${project.id}::uuid and "timestamp" < ${horizon}::timestamptz limit ${batchSize})
            returning 1`,
        );
        const segmentEvents = await removeEventsFromSegments(tx, project.id, {
          before: Date.parse(horizon),
          maxSegments: SEGMENTS_PER_BATCH,
        });
        step("segments");
        let rollupRows = 0;
        if (!project.keep) {
          for (const table of [sql`analytics_rollups`, sql`analytics_user_rollups`]) {
            // Per (dimension, size), found by a loose index scan of the primary key, the old buckets are one
            // index range from its start. A single "bucket + size <= horizon" over the project is no index range:
            // once the oldest rows of the first dimensions were gone, every batch walked most of the table again
            // (600 ms a batch at 10 M events, the biggest part of the lock time).
            const rows = await queryRows(
              tx,
              sql`with recursive k as (
                  (select dimension, size from ${table} where project_id = ${project.id}::uuid
                    order by dimension, size limit 1)
                  union all
                  select n.dimension, n.size from k cross join lateral (
                    select dimension, size from ${table}
                     where project_id = ${project.id}::uuid and (dimension, size) > (k.dimension, k.size)
                     order by dimension, size limit 1) n
                )
                delete from ${table} where ctid in (
                  select r.ctid from k cross join lateral (
                    select ctid from ${table}
                     where project_id = ${project.id}::uuid and dimension = k.dimension and size = k.size
                       and bucket <= ${horizon}::timestamptz - make_interval(mins => k.size::int)
                     limit ${batchSize}) r
                   limit ${batchSize})
                returning 1`,
            );
            rollupRows += rows.length;
          }
        }
        step("rollups");
        const [left] = await queryRows<{ segments: boolean }>(
          tx,
          sql`select exists (select 1 from analytics_segments where project_id = ${project.id}::uuid
                             and min_ts < ${horizon}::timestamptz) as segments`,
        );
        return {
          projectId: project.id,
          events: events.length,
          segmentEvents,
          rollupRows,
          ...followed,
          ms: 0,
          steps,
          more:
            events.length === batchSize ||
            botKeys.length === batchSize ||
            rollupRows >= batchSize ||
            Boolean(left?.segments),
        };
      });
      batch.ms = Math.round(performance.now() - started);
    } while (batch.events === 0 && batch.segmentEvents === 0 && batch.rollupRows >= batchSize);
    out.push(batch);
  }
  return out;
}
