/**
 * The engine's background loop, one per worker process (started and stopped with the worker, see
 * server/pipeline/worker/boot.ts). Each step, in this order:
 *   1. the upgrade backfill: one chunk for every project still 'backfilling' (backfill.ts);
 *   2. the new-dimension backfill: segments lacking a dimension column get it (backfill.ts);
 *   3. the compactor (compact-segments.ts), for due projects except those of steps 1 and 2: it would merge a
 *      segment lacking a dimension column into one that claims the column with empty values, and a backfilling
 *      project is not served by the engine anyway;
 *   3b. the purge of deleted slots (segment-deletions.ts): for each project whose segments hold events a person's
 *      deletion marked, PURGE_BATCH of those segments rewritten without them in a short transaction, then a pause,
 *      so the person's bytes leave the engine within minutes of the deletion (README "Privacy");
 *   4. retention: one bounded batch per project with a retention (server/pipeline/retention/apply-retention.ts),
 *      and the removal of expired suppressions of deleted people.
 * A step that did work is followed by the next one after `pauseMs`, or after as long as its backfill chunks took
 * (writers of a project wait while its chunk runs, so they get at least half the time), an idle one after
 * `intervalMs`, a failed one after a growing delay (logged; the loop never dies). Several processes may run the loop: every change
 * to a project's segments holds the compactor's advisory lock, so no project is backfilled or compacted twice at
 * once. On PGlite (one connection, the API in the same event loop) chunks are smaller and the pause longer, so a
 * step never holds the database or the event loop for long.
 */
import type { Database } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import { removeExpiredSuppressions } from "../../pipeline/people/suppression.ts";
import { applyRetention } from "../../pipeline/retention/apply-retention.ts";
import { addDimensionColumns, EngineBackfill, lastSegmentId, segmentsMissingDimensions } from "./backfill.ts";
import { compactProject, projectsDueForCompaction, removeEventsFromSegments } from "./compact-segments.ts";
import { projectsWithDeletedSlots } from "./segment-deletions.ts";

export interface EngineMaintenanceOptions {
  /** Between idle steps (default 2 s). */
  intervalMs?: number;
  /** Between steps that did work (default 0 on PostgreSQL, 50 ms embedded). */
  pauseMs?: number;
  /** Events per upgrade backfill chunk (default SEGMENT_CAPACITY on PostgreSQL, 4,096 embedded). */
  chunkSize?: number;
  /** PGlite: smaller chunks and a longer pause between them. */
  embedded?: boolean;
}

export interface RunningMaintenance {
  stop(): Promise<void>;
}

const DIMENSION_FIX_BATCH = 20;
/**
 * Segments rewritten per purge transaction (a 65,536-event segment takes a few hundred milliseconds, holding the
 * segments lock a deletion waits for), and the pause after each: the purge is not urgent (nothing counts the slots)
 * and must not take both cores from the API and the pipeline (at 10 M events, 153 segments: about a minute).
 */
const PURGE_BATCH = 1;
const PURGE_PAUSE_MS = 200;
const MAX_FAILURE_DELAY_MS = 60_000;

/** One step of the maintenance (exported for tests; the loop below calls it). */
export class EngineMaintenance {
  private readonly backfill: EngineBackfill;
  /** Segments up to this id have every dimension column (segments are immutable, new ones are complete). */
  private dimensionsCheckedThrough = 0;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    options: { chunkSize?: number } = {},
  ) {
    this.backfill = new EngineBackfill(db, logger, options);
  }

  /**
   * Runs steps 1-3 once: whether there is more to do at once, and how many tasks failed (each logged with its
   * project; the others still ran).
   */
  async step(): Promise<{ more: boolean; failures: number; backfillMs: number }> {
    let more = false;
    const errors: unknown[] = [];
    const attempt = async (what: string, fields: Record<string, unknown>, task: () => Promise<void>) => {
      try {
        await task();
      } catch (error) {
        this.logger.error(`engine maintenance: ${what} failed`, { ...fields, error });
        errors.push(error);
      }
    };

    const backfillStart = performance.now();
    const backfilling = new Set(await this.backfill.pendingProjects());
    for (const projectId of backfilling) {
      await attempt("backfill chunk", { project: projectId }, async () => {
        const chunk = await this.backfill.backfillChunk(projectId);
        if (chunk && !chunk.finished) more = true;
      });
    }

    const backfillMs = backfilling.size > 0 ? performance.now() - backfillStart : 0;

    const notCompacted = new Set(backfilling);
    const top = await lastSegmentId(this.db);
    const incomplete = await segmentsMissingDimensions(this.db, this.dimensionsCheckedThrough, DIMENSION_FIX_BATCH);
    for (const segment of incomplete) {
      notCompacted.add(segment.projectId);
      await attempt(
        "adding dimension columns",
        { project: segment.projectId, segment: segment.segmentId },
        async () => {
          const added = await addDimensionColumns(this.db, segment, this.logger);
          if (added.length > 0)
            this.logger.info("engine: dimension columns added to a segment", {
              project: segment.projectId,
              segment: segment.segmentId,
              columns: added,
            });
        },
      );
    }
    if (incomplete.length > 0) more = true;
    else if (errors.length === 0) this.dimensionsCheckedThrough = top;

    // While segments lack columns (more may be listed next time), nothing is compacted.
    if (incomplete.length < DIMENSION_FIX_BATCH) {
      for (const projectId of await projectsDueForCompaction(this.db)) {
        if (notCompacted.has(projectId)) continue;
        await attempt("compaction", { project: projectId }, async () => {
          const replaced = await compactProject(this.db, projectId);
          if (replaced > 0) this.logger.debug("engine: segments compacted", { project: projectId, replaced });
        });
      }
    }

    // 3b. Deleted slots rewritten away, a bounded batch per project.
    for (const projectId of await projectsWithDeletedSlots(this.db)) {
      if (backfilling.has(projectId)) continue;
      await attempt("purging deleted slots", { project: projectId }, async () => {
        const purged = await this.db.transaction((tx) =>
          removeEventsFromSegments(tx, projectId, { purgeDeleted: true, maxSegments: PURGE_BATCH }),
        );
        if (purged > 0) {
          more = true;
          await Bun.sleep(PURGE_PAUSE_MS);
          this.logger.debug("engine: deleted events purged from segments", { project: projectId, events: purged });
        }
      });
    }

    // 4. Retention: one bounded batch per project with a horizon (server/pipeline/retention/apply-retention.ts),
    // and suppressions of deleted people that have expired.
    await attempt("retention", {}, async () => {
      for (const batch of await applyRetention(this.db, Date.now())) {
        if (batch.more) more = true;
        if (batch.events || batch.segmentEvents || batch.rollupRows)
          this.logger.info("retention: removed data older than the project's horizon", { ...batch });
      }
      await removeExpiredSuppressions(this.db);
    });
    return { more, failures: errors.length, backfillMs };
  }
}

/** Starts the loop in the background; `stop()` ends it after the step in progress and clears its timer. */
export function startEngineMaintenance(
  deps: { db: Database; logger: Logger },
  options: EngineMaintenanceOptions = {},
): RunningMaintenance {
  const embedded = options.embedded ?? false;
  const intervalMs = options.intervalMs ?? 2_000;
  const pauseMs = options.pauseMs ?? (embedded ? 50 : 0);
  const maintenance = new EngineMaintenance(deps.db, deps.logger, {
    chunkSize: options.chunkSize ?? (embedded ? 4_096 : undefined),
  });
  let stopping = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = () => {
        if (timer) clearTimeout(timer);
        timer = null;
        wake = null;
        resolve();
      };
      timer = setTimeout(wake, ms);
    });

  const run = async () => {
    let failures = 0;
    while (!stopping) {
      let delay = intervalMs;
      let failed = false;
      try {
        const result = await maintenance.step();
        // Writers of a project wait while its chunk runs: they get at least as long again before the next one.
        if (result.more) delay = Math.max(pauseMs, result.backfillMs);
        failed = result.failures > 0;
      } catch (error) {
        deps.logger.error("engine maintenance: step failed", { error });
        failed = true;
      }
      failures = failed ? failures + 1 : 0;
      if (failed) delay = Math.min(MAX_FAILURE_DELAY_MS, intervalMs * 2 ** Math.min(failures, 10));
      if (stopping) break;
      await sleep(delay);
    }
  };
  const done = run();
  return {
    stop: async () => {
      stopping = true;
      wake?.();
      await done;
    },
  };
}
