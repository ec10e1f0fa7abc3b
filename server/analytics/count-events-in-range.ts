import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../db/client.ts";
import { ALL_DIMENSION, bucketStart, DAY } from "./rollup-layout.ts";

/**
 * About how many events a project has in [from, to): the day rollups of the totals over the whole UTC days the range
 * touches, so an upper bound that costs one index range read of at most a few hundred rows, never a scan of events.
 */
export async function countEventsInRange(
  db: Database,
  input: { projectId: string; from: number; to: number },
): Promise<number> {
  const [row] = await queryRows<{ events: string | number | null }>(
    db,
    sql`select coalesce(sum(events), 0)::bigint as events from analytics_rollups
         where project_id = ${input.projectId}::uuid and dimension = ${ALL_DIMENSION}::text and size = ${DAY}::smallint
           and bucket >= ${new Date(bucketStart(input.from, DAY)).toISOString()}::timestamptz
           and bucket < ${new Date(input.to).toISOString()}::timestamptz`,
  );
  return Number(row?.events ?? 0);
}
