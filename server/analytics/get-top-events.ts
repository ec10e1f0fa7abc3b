import { sql } from "drizzle-orm";
import { type AnalyticsInput, resolveRange, type TopEvent } from "../../shared/analytics.ts";
import type { Database } from "../db/client.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { type GroupedStatsOptions, queryStatsRows } from "./grouped-stats-sql.ts";

/** The most frequent event names of the range with their exact unique sessions and users. */
export async function getTopEvents(
  db: Database,
  input: AnalyticsInput & { limit?: number | undefined },
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<TopEvent[]> {
  const { from, to } = resolveRange(input, now);
  if (engine && input.filters?.length) {
    const group = { from: from.getTime(), to: to.getTime() };
    const want = { sessions: true, people: true };
    const rows = await engine.topValues(
      db,
      input.projectId,
      group,
      input.filters,
      "event_name",
      input.limit ?? 10,
      want,
    );
    if (rows) {
      return rows.map((row) => ({
        eventName: row.value,
        count: row.events,
        uniqueSessions: row.sessions,
        uniqueUsers: row.people,
      }));
    }
  }
  // Unfiltered, the rollups' user sets are counted as people with the engine's person map (grouped-stats-sql.ts).
  const people = engine && !input.filters?.length ? await engine.personSpace(db, input.projectId) : null;
  const options: GroupedStatsOptions = {
    projectId: input.projectId,
    groups: [{ g: 0, from: from.getTime(), to: to.getTime() }],
    dimension: "event_name",
    withUsers: true,
    filters: input.filters,
    people: people?.personOf ?? undefined,
  };
  const rows = await queryStatsRows(
    db,
    [options],
    ([stats]) => sql`select * from (${stats}) stats order by events desc, value limit ${input.limit ?? 10}`,
  );
  return rows.map((row) => ({
    eventName: row.value,
    count: Number(row.events),
    uniqueSessions: Number(row.sessions),
    uniqueUsers: Number(row.users),
  }));
}
