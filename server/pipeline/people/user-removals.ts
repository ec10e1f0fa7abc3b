import { sql } from "drizzle-orm";
import { USER_REMOVAL_KIND } from "../../analytics/rollup-layout.ts";
import type { Database } from "../../db/client.ts";

/**
 * Records, inside the caller's transaction, that analytics_users rows of the project were deleted (the counter
 * USER_REMOVAL_KIND, rollup-layout.ts). Every write that deletes users rows calls it in the transaction that does, so
 * a reader that sees the rows gone also sees the counter moved: the cohort evaluator's set of live user nums
 * (cohort-evaluations.ts) is grown by reading only new nums while the counter stands still, read afresh when it moves.
 */
export async function countUserRemoval(tx: Database, projectId: string, atLeast = 0): Promise<void> {
  await tx.execute(
    sql`insert into analytics_id_counters as c (project_id, kind, last_id)
        values (${projectId}::uuid, ${USER_REMOVAL_KIND}::smallint, ${atLeast + 1}::bigint)
        on conflict (project_id, kind) do update set last_id = greatest(c.last_id + 1, excluded.last_id)`,
  );
}
