import { sql } from "drizzle-orm";
import {
  type AnalyticsInput,
  type Overview,
  type PeriodTotals,
  resolveComparison,
  resolveRange,
  type VisitTotals,
} from "../../shared/analytics.ts";
import { retentionHorizon } from "../../shared/projects.ts";
import { type Database, queryRows } from "../db/client.ts";
import { countBotEventsFiltered } from "./count-bot-events-filtered.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { getVisitTotals } from "./get-visit-totals.ts";
import { type GroupedStatsOptions, queryStatsRows } from "./grouped-stats-sql.ts";
import { ALL_DIMENSION } from "./rollup-layout.ts";

/**
 * Totals, exact unique sessions and users, the visit metrics (get-visit-totals.ts) and the top event of the range
 * and of the period it is compared with (the same-length period before, or the chosen compareFrom/compareTo). The
 * event totals and the visit metrics are read side by side, with how many bot events were filtered out in the range.
 */
export async function getOverview(
  db: Database,
  input: AnalyticsInput,
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<Overview> {
  const { from, to } = resolveRange(input, now);
  const compared = resolveComparison(input, { from, to });
  const current: Span = { from: from.getTime(), to: to.getTime() };
  const previous: Span = { from: compared.from.getTime(), to: compared.to.getTime() };
  const [eventTotals, visits, botEventsFiltered] = await Promise.all([
    eventTotalsOf(db, input, current, previous, engine, now),
    getVisitTotals(db, input.projectId, [current, previous], input.filters, engine),
    countBotEventsFiltered(db, { projectId: input.projectId, from, to }),
  ]);
  return {
    ...eventTotals.current,
    ...visits[0]!,
    topEvent: eventTotals.topEvent,
    periodStart: from.toISOString(),
    periodEnd: to.toISOString(),
    previous: { ...eventTotals.previous, ...visits[1]! },
    previousStart: compared.from.toISOString(),
    previousEnd: compared.to.toISOString(),
    botEventsFiltered,
  };
}

type Span = { from: number; to: number };

type EventTotals = Omit<PeriodTotals, keyof VisitTotals>;
interface EventTotalsAnswer {
  current: EventTotals;
  previous: EventTotals;
  topEvent: string | null;
}

/**
 * Events, sessions, users and the top event: unfiltered, the rollups (people from the engine while it serves the
 * project); with filters, the engine (or raw events).
 */
async function eventTotalsOf(
  db: Database,
  input: AnalyticsInput,
  current: Span,
  previous: Span,
  engine: QueryEngine | null,
  now: number,
): Promise<EventTotalsAnswer> {
  if (engine && input.filters?.length) {
    const answer = await overviewFromEngine(engine, db, input, current, previous);
    if (answer) return answer;
  }
  // Unfiltered, the engine counts people (its person map in memory) in a fraction of what the rollups' user sets
  // cost: their person-link correction probes every link per period (250-410 ms at 125 k links, 10 M events; the
  // engine: 28-167 ms over 7-90 days). The rollups then skip users; while the engine does not serve the project
  // (null), they are read once more with them.
  // Past a retention horizon only the rollups still hold people (kept aggregates): periods reaching before it read them.
  const horizon = engine !== null && !input.filters?.length ? await retentionHorizonOf(db, input.projectId, now) : null;
  const byEngine =
    engine !== null && !input.filters?.length && (horizon === null || Math.min(current.from, previous.from) >= horizon);
  const [rolled, people] = await Promise.all([
    rollupTotals(db, input, current, previous, !byEngine),
    engine && byEngine
      ? engine.totals(db, input.projectId, [current, previous], [], { sessions: false, people: true })
      : null,
  ]);
  if (!byEngine) return rolled;
  if (people === null) return rollupTotals(db, input, current, previous, true);
  rolled.current.uniqueUsers = people[0]!.people;
  rolled.previous.uniqueUsers = people[1]!.people;
  return rolled;
}

/** The project's retention horizon (ms), or null when it keeps raw events forever. */
async function retentionHorizonOf(db: Database, projectId: string, now: number): Promise<number | null> {
  const [row] = await queryRows<{ days: number | null }>(
    db,
    sql`select retention_days as days from projects where id = ${projectId}::uuid`,
  );
  return row?.days ? retentionHorizon(now, row.days) : null;
}

/** Events, sessions (and users, `withUsers`) of both periods and the top event, from the rollups in one statement. */
async function rollupTotals(
  db: Database,
  input: AnalyticsInput,
  current: Span,
  previous: Span,
  withUsers: boolean,
): Promise<EventTotalsAnswer> {
  const totals: GroupedStatsOptions = {
    projectId: input.projectId,
    groups: [
      { g: 0, ...current },
      { g: 1, ...previous },
    ],
    dimension: ALL_DIMENSION,
    withUsers,
    filters: input.filters,
  };
  const byEvent: GroupedStatsOptions = {
    projectId: input.projectId,
    groups: [{ g: 0, ...current }],
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
  const period = (g: number): EventTotals => {
    const row = rows.find((r) => Number(r.g) === g);
    return {
      totalEvents: Number(row?.events ?? 0),
      uniqueSessions: Number(row?.sessions ?? 0),
      uniqueUsers: Number(row?.users ?? 0),
    };
  };
  return { current: period(0), previous: period(1), topEvent: rows.find((r) => Number(r.g) === -1)?.value ?? null };
}

/** The filtered overview from the query engine (null while it does not serve the project). */
async function overviewFromEngine(
  engine: QueryEngine,
  db: Database,
  input: AnalyticsInput,
  current: Span,
  previous: Span,
): Promise<EventTotalsAnswer | null> {
  const filters = input.filters ?? [];
  const totals = await engine.totals(db, input.projectId, [current, previous], filters, {
    sessions: true,
    people: true,
  });
  if (!totals) return null;
  const top = await engine.topValues(db, input.projectId, current, filters, "event_name", 1, {
    sessions: false,
    people: false,
  });
  if (!top) return null;
  const period = (i: number): EventTotals => ({
    totalEvents: totals[i]!.events,
    uniqueSessions: totals[i]!.sessions,
    uniqueUsers: totals[i]!.people,
  });
  return { current: period(0), previous: period(1), topEvent: top[0]?.value ?? null };
}
