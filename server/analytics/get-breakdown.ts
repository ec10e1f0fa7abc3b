import { sql } from "drizzle-orm";
import { type AnalyticsInput, type BreakdownRow, resolveRange } from "../../shared/analytics.ts";
import type { Dimension } from "../../shared/dimensions.ts";
import type { Database } from "../db/client.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { type GroupedStatsOptions, queryStatsRows } from "./grouped-stats-sql.ts";
import { ROLLUP_DIMENSIONS } from "./rollup-layout.ts";

/** The most frequent values of a dimension (missing values left out) with their exact unique sessions. */
export async function getBreakdown(
  db: Database,
  input: AnalyticsInput & { dimension: Dimension; limit?: number | undefined },
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<BreakdownRow[]> {
  const { from, to } = resolveRange(input, now);
  // The rollups answer unfiltered breakdowns of rolled-up dimensions; the engine everything else.
  if (engine && (input.filters?.length || !(input.dimension in ROLLUP_DIMENSIONS))) {
    const group = { from: from.getTime(), to: to.getTime() };
    const want = { sessions: true, people: false };
    const rows = await engine.topValues(
      db,
      input.projectId,
      group,
      input.filters ?? [],
      input.dimension,
      input.limit ?? 10,
      want,
    );
    if (rows) return rows.map((row) => ({ value: row.value, count: row.events, uniqueSessions: row.sessions }));
  }
  const options: GroupedStatsOptions = {
    projectId: input.projectId,
    groups: [{ g: 0, from: from.getTime(), to: to.getTime() }],
    dimension: input.dimension,
    withUsers: false,
    filters: input.filters,
  };
  const rows = await queryStatsRows(
    db,
    [options],
    ([stats]) => sql`select * from (${stats}) stats order by events desc, value limit ${input.limit ?? 10}`,
  );
  return rows.map((row) => ({ value: row.value, count: Number(row.events), uniqueSessions: Number(row.sessions) }));
}
