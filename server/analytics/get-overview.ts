import { sql } from "drizzle-orm";
import { type AnalyticsInput, type Overview, type PeriodTotals, resolveRange } from "../../shared/analytics.ts";
import type { Database } from "../db/client.ts";
import { countBotEventsFiltered } from "./count-bot-events-filtered.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { type GroupedStatsOptions, queryStatsRows } from "./grouped-stats-sql.ts";
import { ALL_DIMENSION } from "./rollup-layout.ts";

/**
 * Totals, exact unique sessions and users, and the top event of the range and of the same-length period before, and
 * how many bot events were filtered out in the range.
 */
export async function getOverview(
  db: Database,
  input: AnalyticsInput,
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<Overview> {
  const { from, to } = resolveRange(input, now);
  const [stats, botEventsFiltered] = await Promise.all([
    overviewStats(db, input, from, to, engine),
    countBotEventsFiltered(db, { projectId: input.projectId, from, to }),
  ]);
  return { ...stats, botEventsFiltered };
}

async function overviewStats(
  db: Database,
  input: AnalyticsInput,
  from: Date,
  to: Date,
  engine: QueryEngine | null,
): Promise<Omit<Overview, "botEventsFiltered">> {
  const length = to.getTime() - from.getTime();
  if (engine && input.filters?.length) {
    const answer = await overviewFromEngine(engine, db, input, from.getTime(), to.getTime());
    if (answer) return answer;
  }
  const totals: GroupedStatsOptions = {
    projectId: input.projectId,
    groups: [
      { g: 0, from: from.getTime(), to: to.getTime() },
      { g: 1, from: from.getTime() - length, to: from.getTime() },
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
  };
}

/** The filtered overview from the query engine (null while it does not serve the project). */
async function overviewFromEngine(
  engine: QueryEngine,
  db: Database,
  input: AnalyticsInput,
  from: number,
  to: number,
): Promise<Omit<Overview, "botEventsFiltered"> | null> {
  const filters = input.filters ?? [];
  const current = { from, to };
  const totals = await engine.totals(db, input.projectId, [current, { from: 2 * from - to, to: from }], filters, {
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
    periodStart: new Date(from).toISOString(),
    periodEnd: new Date(to).toISOString(),
    previous: period(1),
  };
}
