/**
 * `rawDataFrom`, the one place it is computed: the instant from which a project's raw events are kept, as an ISO
 * string, or null when it keeps them forever (no retention). It is the horizon the product promises
 * (shared/projects.ts `retentionHorizon`: the start of the UTC day `retention_days` before now), not the oldest
 * event still stored: removal runs in bounded batches (server/pipeline/retention/apply-retention.ts), so for a
 * while after the horizon moves some older events may still be counted. An answer over a range starting before it
 * covers, for per-event figures, only rawDataFrom on; unfiltered rollup figures with kept aggregates stay whole.
 */
import { sql } from "drizzle-orm";
import type { RawDataFromAnswer } from "../../shared/analytics.ts";
import { retentionHorizon } from "../../shared/projects.ts";
import { type Database, queryRows } from "../db/client.ts";

/** The project's rawDataFrom at `now` (ms); null without a retention (or for an unknown project). */
export async function getRawDataFrom(db: Database, projectId: string, now = Date.now()): Promise<string | null> {
  const { from } = await getRetentionState(db, projectId, now);
  return from === null ? null : new Date(from).toISOString();
}

/** rawDataFrom as ms (null: everything kept) and whether the rollups of older buckets are kept. */
export async function getRetentionState(
  db: Database,
  projectId: string,
  now = Date.now(),
): Promise<{ from: number | null; keepAggregates: boolean }> {
  const [row] = await queryRows<{ days: number | null; keep: boolean }>(
    db,
    sql`select retention_days as days, keep_aggregates_past_retention as keep from projects
         where id = ${projectId}::uuid`,
  );
  return { from: row?.days ? retentionHorizon(now, row.days) : null, keepAggregates: Boolean(row?.keep) };
}

/** `answer` with the project's rawDataFrom, both read side by side. */
export async function withRawDataFrom<T extends object>(
  db: Database,
  projectId: string,
  answer: Promise<T>,
  now = Date.now(),
): Promise<T & RawDataFromAnswer> {
  const [value, rawDataFrom] = await Promise.all([answer, getRawDataFrom(db, projectId, now)]);
  return { ...value, rawDataFrom };
}
