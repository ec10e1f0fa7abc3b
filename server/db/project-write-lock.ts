/**
 * The lock between the writers of a project's events (storeEvents, shared) and the query engine's upgrade backfill
 * (server/analytics/engine/backfill.ts, exclusive, for one chunk). A transaction-level advisory lock rather than the
 * project row's lock: PostgreSQL queues a new shared request behind a waiting exclusive one, so the backfill gets its
 * turn however busy ingest is (FOR UPDATE on the row waits for a moment when no writer holds FOR KEY SHARE, which
 * overlapping writers may never leave).
 */
import { type SQL, sql } from "drizzle-orm";

/** Takes the lock of project `projectId` (an SQL text expression) until the transaction ends. */
export function projectWriteLockSql(projectId: SQL, mode: "shared" | "exclusive"): SQL {
  const key = sql`hashtextextended('analytics_events_write:' || ${projectId}, 0)`;
  return mode === "shared" ? sql`pg_advisory_xact_lock_shared(${key})` : sql`pg_advisory_xact_lock(${key})`;
}
