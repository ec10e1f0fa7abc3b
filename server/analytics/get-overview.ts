import { sql } from "drizzle-orm";
import {
  type AnalyticsInput,
  type Overview,
  type PeriodTotals,
  resolveComparison,
  resolveRange,
} from "../../shared/analytics.ts";
import type { Database } from "../db/client.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { type GroupedStatsOptions, queryStatsRows } from "./grouped-stats-sql.ts";
import { ALL_DIMENSION } from "./rollup-layout.ts";

/** Totals, exact unique sessions and users, and the top event of the range and of the same-length period before. */
export async function getOverview(
  db: Database,
  input: AnalyticsInput,
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<Overview> {
  const { from, to } = resolveRange(input, now);
  const compared = resolveComparison(input, { from, to });
  const previousSpan = { from: compared.from.getTime(), to: compared.to.getTime() };
  if (engine && input.filters?.length) {
    const answer = await overviewFromEngine(
      engine,
      db,
      input,
      { from: from.getTime(), to: to.getTime() },
      previousSpan,
    );
    if (answer) return answer;
  }
  const totals: GroupedStatsOptions = {
    projectId: input.projectId,
    groups: [
      { g: 0, from: from.getTime(), to: to.getTime() },
      { g: 1, from: previousSpan.from, to: previousSpan.to },
    ],
    dimension: ALL_DIMENSION,
    withUsers: true,
    filters: input.filters,
  };
  const byEvent: GroupedStatsOptions = {
    projectId: input.projectId,
    groups: [{ g: 0, from: from.getTime(), to: to.getTime() }],
    dimension: "event_name",
    withUsers: false,
    filters: input.filters,
  };
  // One round trip: the totals of both periods, then the top event (g = -1).
  const rows = await queryStatsRows(
    db,
    [totals, byEvent],
    ([totalsSql, byEventSql]) =>
      sql`select g, value, events, sessions, users from (${totalsSql}) totals
          union all
          (select -1, value, events, sessions, users from (${byEventSql}) by_event order by events desc, value limit 1)`,
  );
  const period = (g: number): PeriodTotals => {
    const row = rows.find((r) => Number(r.g) === g);
    return {
      totalEvents: Number(row?.events ?? 0),
      uniqueSessions: Number(row?.sessions ?? 0),
      uniqueUsers: Number(row?.users ?? 0),
    };
  };
  return {
    ...period(0),
    topEvent: rows.find((r) => Number(r.g) === -1)?.value ?? null,
    periodStart: from.toISOString(),
    periodEnd: to.toISOString(),
    previous: period(1),
    previousStart: compared.from.toISOString(),
    previousEnd: compared.to.toISOString(),
  };
}

/** The filtered overview from the query engine (null while it does not serve the project). */
async function overviewFromEngine(
  engine: QueryEngine,
  db: Database,
  input: AnalyticsInput,
  current: { from: number; to: number },
  previousSpan: { from: number; to: number },
): Promise<Overview | null> {
  const filters = input.filters ?? [];
  const totals = await engine.totals(db, input.projectId, [current, previousSpan], filters, {
    sessions: true,
    people: true,
  });
  if (!totals) return null;
  const top = await engine.topValues(db, input.projectId, current, filters, "event_name", 1, {
    sessions: false,
    people: false,
  });
  if (!top) return null;
  const period = (i: number): PeriodTotals => ({
    totalEvents: totals[i]!.events,
    uniqueSessions: totals[i]!.sessions,
    uniqueUsers: totals[i]!.people,
  });
  return {
    ...period(0),
    topEvent: top[0]?.value ?? null,
    periodStart: new Date(current.from).toISOString(),
    periodEnd: new Date(current.to).toISOString(),
    previous: period(1),
    previousStart: new Date(previousSpan.from).toISOString(),
    previousEnd: new Date(previousSpan.to).toISOString(),
  };
}
