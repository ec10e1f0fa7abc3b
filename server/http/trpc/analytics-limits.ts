/**
 * The limits of every analytics read (projectProcedure, its input, then analyticsLimits): the rules that keep one
 * dashboard request from holding the database for everyone else.
 *
 *   1. PostgreSQL: every statement of the call runs under `statement_timeout` = ANALYTICS_STATEMENT_TIMEOUT_MS and
 *      is cancelled in PostgreSQL when the HTTP client goes away (server/db/statement-limits.ts). A timeout answers
 *      TIMEOUT (HTTP 408) saying to narrow the range or the filters; the dashboard shows it on the card and does not
 *      retry it. A statement cancelled because its client left answers CLIENT_CLOSED_REQUEST (nobody reads it).
 *   2. Embedded (PGlite): PGlite ignores statement_timeout (issue 13: a 500 ms timeout let an 8 s query run) and
 *      blocks the event loop while a statement runs, so ingest, the worker and health stop with it. There the work is bounded
 *      before it runs: a read that scans raw events (any filter, or a breakdown by a property) is BAD_REQUEST when
 *      its range and the same-length period before it (overview reads both) hold more than EMBEDDED_MAX_RAW_EVENTS
 *      events, counted from the day rollups. The cost is the rows, hardly the number of filters: on PGlite, an
 *      overview over 100,000 raw events took 7.9 s with 1 filter and 9.0 s with 20 (2 shared cores, under load), and
 *      a filtered overview of 40,000 held the event loop 1-4 s (analytics-limits-embedded.test.ts, before this rule).
 *      Since the query engine (server/analytics/engine) answers filtered reads from its segments, this bound only
 *      applies to projects whose upgrade backfill is still running (the raw-events path serves them meanwhile).
 */
import { TRPCError } from "@trpc/server";
import { type AnalyticsFilter, type RangeInput, resolveRange } from "../../../shared/analytics.ts";
import { PROPERTY_PREFIX } from "../../../shared/dimensions.ts";
import { CohortEngineUnavailableError, CohortReferenceError } from "../../analytics/cohorts/compute-cohort-members.ts";
import { CohortNotFoundError, resolveCohortFilters } from "../../analytics/cohorts/resolve-cohort-filters.ts";
import { countEventsInRange } from "../../analytics/count-events-in-range.ts";
import { engineServesProject } from "../../analytics/engine/segment-store.ts";
import type { Database } from "../../db/client.ts";
import { isStatementTimeout, runWithStatementLimits } from "../../db/statement-limits.ts";
import { type InnerContext, middleware } from "./init.ts";

/** Most raw events (range plus the period before) one embedded read with filters may scan: about 4 s of PGlite. */
export const EMBEDDED_MAX_RAW_EVENTS = 50_000;

const NARROW = "narrow the range or the filters";

/**
 * The one place a statement timeout becomes an answer: logged here (where a `query timeouts` counter belongs), and
 * returned as the TRPCError the caller throws.
 */
export function reportStatementTimeout(ctx: InnerContext, path: string, error: unknown): TRPCError {
  if (ctx.signal?.aborted) {
    ctx.services.logger.info("analytics statement cancelled: its client went away", { path });
    return new TRPCError({ code: "CLIENT_CLOSED_REQUEST", message: "The request was cancelled.", cause: error });
  }
  const seconds = ctx.services.config.ANALYTICS_STATEMENT_TIMEOUT_MS / 1000;
  ctx.services.metrics.queryTimeouts.inc();
  ctx.services.logger.warn("analytics statement timed out", {
    path,
    timeoutMs: ctx.services.config.ANALYTICS_STATEMENT_TIMEOUT_MS,
  });
  return new TRPCError({
    code: "TIMEOUT",
    message: `This took longer than ${seconds} s to compute: ${NARROW}.`,
    cause: error,
  });
}

/** What every analytics input has that bounds its work. */
type BoundedInput = RangeInput & {
  projectId: string;
  filters?: AnalyticsFilter[] | undefined;
  steps?: Array<{ filters?: AnalyticsFilter[] | undefined }> | number | undefined;
  dimension?: string | undefined;
};

/**
 * Evaluates the input's cohort filters (top level and a funnel's steps) once, at the time of the call, so every
 * reader below finds their member sets attached (server/analytics/cohorts/resolve-cohort-filters.ts). A cohort the
 * project does not have is NOT_FOUND; while the engine does not serve the project, PRECONDITION_FAILED.
 */
async function resolveCohorts(ctx: InnerContext, db: Database, input: BoundedInput): Promise<void> {
  // A funnel's steps carry filters; paths' `steps` is a number.
  const steps = Array.isArray(input.steps) ? input.steps : [];
  const lists = [input.filters, ...steps.map((step) => step.filters)];
  try {
    await resolveCohortFilters(db, ctx.services.engine, input.projectId, lists, Date.now());
  } catch (error) {
    throw cohortError(error);
  }
}

/** The TRPCError a cohort evaluation failure answers (anything else is rethrown as is). */
export function cohortError(error: unknown): unknown {
  if (error instanceof CohortNotFoundError) return new TRPCError({ code: "NOT_FOUND", message: error.message });
  if (error instanceof CohortEngineUnavailableError) {
    return new TRPCError({
      code: "PRECONDITION_FAILED",
      message:
        "Cohorts are evaluated by the query engine, which is still indexing this project's events: try again soon.",
    });
  }
  if (error instanceof CohortReferenceError) return new TRPCError({ code: "BAD_REQUEST", message: error.message });
  return error;
}

/** Throws BAD_REQUEST when an embedded read would scan more raw events than EMBEDDED_MAX_RAW_EVENTS. */
async function boundEmbeddedWork(db: Database, input: BoundedInput): Promise<void> {
  const readsRaw = (input.filters?.length ?? 0) > 0 || input.dimension?.startsWith(PROPERTY_PREFIX) === true;
  // The query engine answers these from its segments in memory (milliseconds per 100,000 events), unless the
  // project's upgrade backfill is still running: then raw events would, and the bound holds.
  if (!readsRaw || (await engineServesProject(db, input.projectId))) return;
  const { from, to } = resolveRange(input, Date.now());
  const length = to.getTime() - from.getTime();
  const events = await countEventsInRange(db, {
    projectId: input.projectId,
    from: from.getTime() - length,
    to: to.getTime(),
  });
  if (events > EMBEDDED_MAX_RAW_EVENTS) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `Too many events to filter here (about ${events.toLocaleString("en-US")}; embedded mode filters at most ${EMBEDDED_MAX_RAW_EVENTS.toLocaleString("en-US")}): ${NARROW}.`,
    });
  }
}

/**
 * The limits above as a middleware, used after each analytics procedure's `.input()`: the input is parsed first (so
 * its own refusals, such as the timeseries cap on `granularity`, come before any SQL), then ctx.db is the database
 * to read from, with the limits applied.
 */
export const analyticsLimits = middleware(async ({ ctx, path, input, next }) => {
  const database = ctx.services.database;
  if (database.kind === "pglite") {
    await boundEmbeddedWork(database.db, input as BoundedInput);
    await resolveCohorts(ctx, database.db, input as BoundedInput);
    return next({ ctx: { db: database.db } });
  }
  const limits = {
    timeoutMs: ctx.services.config.ANALYTICS_STATEMENT_TIMEOUT_MS,
    signal: ctx.signal,
    logger: ctx.services.logger,
  };
  try {
    return await runWithStatementLimits(database, limits, async (db) => {
      await resolveCohorts(ctx, db, input as BoundedInput);
      const result = await next({ ctx: { db } });
      // Thrown so the transaction rolls back rather than committing after a failed statement.
      if (!result.ok) throw result.error;
      return result;
    });
  } catch (error) {
    if (isStatementTimeout(error)) throw reportStatementTimeout(ctx, path, error);
    throw error;
  }
});
