import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";

/**
 * Deletes every event of a project together with everything derived from them (rollups, session and user tables,
 * num counters), in one transaction, so no rollup outlives its events. Deleting the project itself is deleteProject.
 */
export async function deleteProjectEvents(db: Database, projectId: string): Promise<void> {
  await db.transaction(async (tx) => {
    // Take the project row lock first: a worker storing events meanwhile waits on its FOR KEY SHARE lock (see
    // storeEvents) instead of writing rollups for events that are being removed.
    await tx.execute(sql`select 1 from projects where id = ${projectId}::uuid for update`);
    for (const table of [
      sql`events`,
      sql`event_rollups_hourly`,
      sql`analytics_rollups`,
      sql`analytics_user_rollups`,
      sql`analytics_user_sessions`,
      sql`analytics_sessions`,
      sql`analytics_users`,
      sql`analytics_id_counters`,
    ]) {
      await tx.execute(sql`delete from ${table} where project_id = ${projectId}::uuid`);
    }
  });
}
