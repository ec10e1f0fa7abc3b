/**
 * Limits on the statements a client's request runs (the dashboard's analytics reads), so that no request can hold
 * the database for others:
 *   1. Each runs in its own transaction with `statement_timeout` set LOCAL to the given limit: it bounds exactly
 *      these statements, never the worker's writes or the migrations on the same pool.
 *   2. When the request's signal aborts (its HTTP client went away), the statement is cancelled in PostgreSQL with
 *      pg_cancel_backend, matched on the backend's pid AND its transaction's start, so a cancel that arrives late
 *      can never hit a later statement the pooled connection runs for someone else.
 *   3. PostgreSQL reports both as SQLSTATE 57014 (query_canceled); isStatementTimeout() is the one test for it.
 * PGlite has no statement_timeout that works and no second connection to cancel from: there the work is bounded
 * before it runs (see server/http/trpc/analytics-limits.ts).
 */
import { sql } from "drizzle-orm";
import type { Logger } from "../logger.ts";
import { type Database, type DatabaseHandle, queryRows } from "./client.ts";

/** PostgreSQL's query_canceled: statement_timeout or pg_cancel_backend. */
export const QUERY_CANCELED = "57014";

export interface StatementLimits {
  timeoutMs: number;
  /** Aborts when the HTTP client goes away. */
  signal?: AbortSignal | null | undefined;
  logger: Logger;
}

/** True when `error` (or an error it wraps: drizzle, tRPC) is PostgreSQL's query_canceled. */
export function isStatementTimeout(error: unknown): boolean {
  for (
    let e = error, depth = 0;
    e && typeof e === "object" && depth < 8;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if ((e as { code?: unknown }).code === QUERY_CANCELED) return true;
  }
  return false;
}

/** Runs `run` with its statements bounded by `limits` (PostgreSQL), or as is (PGlite). */
export async function runWithStatementLimits<T>(
  handle: DatabaseHandle,
  limits: StatementLimits,
  run: (db: Database) => Promise<T>,
): Promise<T> {
  if (handle.kind === "pglite") return run(handle.db);
  limits.signal?.throwIfAborted();
  return handle.db.transaction(async (tx) => {
    const [self] = await queryRows<{ pid: number; started: string }>(
      tx,
      sql`select pg_backend_pid() as pid, now()::text as started,
                 set_config('statement_timeout', ${String(limits.timeoutMs)}, true) as timeout`,
    );
    const cancel = () => {
      // On another pooled connection: this one is busy with the statement to stop.
      queryRows(
        handle.db,
        sql`select pg_cancel_backend(pid) from pg_stat_activity
             where pid = ${self!.pid}::int and xact_start = ${self!.started}::timestamptz`,
      ).catch((error: unknown) => limits.logger.warn("could not cancel a statement whose client went away", { error }));
    };
    limits.signal?.addEventListener("abort", cancel, { once: true });
    try {
      return await run(tx as unknown as Database);
    } finally {
      limits.signal?.removeEventListener("abort", cancel);
    }
  });
}
