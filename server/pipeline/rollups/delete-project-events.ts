import { sql } from "drizzle-orm";
import { USER_REMOVAL_KIND } from "../../analytics/rollup-layout.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { countUserRemoval } from "../people/user-removals.ts";

/**
 * The tables holding a project's events and what is derived from them. None has a foreign key to `projects` (the
 * per-row check was too dear on the write path, see storeEvents), so every delete of a project's data goes through
 * deleteProjectData and this one list.
 */
const PROJECT_DATA_TABLES = [
  sql`events`,
  sql`analytics_rollups`,
  sql`analytics_user_rollups`,
  sql`analytics_user_sessions`,
  sql`analytics_sessions`,
  sql`analytics_users`,
  sql`analytics_person_links`,
  sql`analytics_person_traits`,
  sql`analytics_suppressed_ids`,
  // The query engine's segments of those events, and its state (a project without events needs no backfill).
  sql`analytics_segment_columns`,
  sql`analytics_segments`,
  sql`analytics_engine_state`,
  sql`analytics_id_counters`,
  // The keys of events the bot filter dropped (they count what was filtered).
  sql`bot_filtered_events`,
];

/** The read access given out on a project (share links, read keys) and what its users set up beside its events
 * (goals, cohorts: definitions, not event data): removed with the project, kept when only its events are deleted. */
const PROJECT_SETTINGS_TABLES = [sql`shares`, sql`read_keys`, sql`analytics_goals`, sql`cohorts`];

/**
 * Deletes a project's events, everything derived from them, the read access given on it and its settings (goals, cohorts), inside the caller's transaction, which must already
 * hold the project's row lock (FOR UPDATE, or the DELETE of the row): a worker storing events meanwhile then waits
 * on its FOR KEY SHARE lock (see storeEvents) instead of writing rows that are being removed.
 */
export async function deleteProjectData(tx: Database, projectId: string): Promise<void> {
  await deleteRows(tx, [...PROJECT_DATA_TABLES, ...PROJECT_SETTINGS_TABLES], projectId);
}

async function deleteRows(tx: Database, tables: readonly ReturnType<typeof sql>[], projectId: string) {
  for (const table of tables) await tx.execute(sql`delete from ${table} where project_id = ${projectId}::uuid`);
}

/**
 * Deletes every event of a project and everything derived from them, keeping the project, in one transaction. The
 * counters go too (nums start again from 1), except that the user-removal counter comes back one higher: a process
 * caching the project's live user nums (cohort-evaluations.ts) must read them afresh, not take the new nums 1..n
 * for the old ones (user-removals.ts).
 */
export async function deleteProjectEvents(db: Database, projectId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from projects where id = ${projectId}::uuid for update`);
    const [removals] = await queryRows<{ last_id: string | number }>(
      tx,
      sql`select last_id from analytics_id_counters where project_id = ${projectId}::uuid
            and kind = ${USER_REMOVAL_KIND}::smallint`,
    );
    await deleteRows(tx, PROJECT_DATA_TABLES, projectId);
    await countUserRemoval(tx, projectId, Number(removals?.last_id ?? 0));
  });
}
