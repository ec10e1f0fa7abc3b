import { sql } from "drizzle-orm";
import {
  type AnalyticsInput,
  type Overview,
  type PeriodTotals,
  resolveComparison,
  resolveRange,
  type VisitTotals,
} from "../../shared/analytics.ts";
import type { Database } from "../db/client.ts";
import { countBotEventsFiltered } from "./count-bot-events-filtered.ts";
import type { OverviewFigures, QueryEngine } from "./engine/query-engine.ts";
import { getVisitTotals, visitTotalsFromFigures } from "./get-visit-totals.ts";
import { type GroupedStatsOptions, queryStatsRows } from "./grouped-stats-sql.ts";
import { ALL_DIMENSION } from "./rollup-layout.ts";

/**
 * Totals, exact unique sessions and users, the visit metrics (get-visit-totals.ts) and the top event of the range
 * and of the period it is compared with (the same-length period before, or the chosen compareFrom/compareTo), with
 * how many bot events were filtered out in the range.
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
  const [periods, botEventsFiltered] = await Promise.all([
    periodTotalsOf(db, input, current, previous, engine),
    countBotEventsFiltered(db, { projectId: input.projectId, from, to }),
  ]);
  return {
    ...periods.current,
    topEvent: periods.topEvent,
    periodStart: from.toISOString(),
    periodEnd: to.toISOString(),
    previous: periods.previous,
    previousStart: compared.from.toISOString(),
    previousEnd: compared.to.toISOString(),
    botEventsFiltered,
  };
}

type Span = { from: number; to: number };

interface PeriodTotalsAnswer {
  current: PeriodTotals;
  previous: PeriodTotals;
  topEvent: string | null;
}

/**
 * Both periods' figures. Filtered, from the query engine in one pass over the events (visit figures, totals and top
 * event together; as three reads they took 180 ms over 60 days at 10 M events with a cohort filter, measured in process);
 * unfiltered, or while the engine does not serve the project, the event totals and visit metrics side by side.
 */
async function periodTotalsOf(
  db: Database,
  input: AnalyticsInput,
  current: Span,
  previous: Span,
  engine: QueryEngine | null,
): Promise<PeriodTotalsAnswer> {
  if (engine && input.filters?.length) {
    const figures = await engine.overview(db, input.projectId, [current, previous], input.filters);
    if (figures) {
      const period = (f: OverviewFigures): PeriodTotals => ({
        totalEvents: f.totals.events,
        uniqueSessions: f.totals.sessions,
        uniqueUsers: f.totals.people,
        ...visitTotalsFromFigures(f),
      });
      return { current: period(figures[0]!), previous: period(figures[1]!), topEvent: figures[0]!.topEvent };
    }
  }
  const [eventTotals, visits] = await Promise.all([
    eventTotalsOf(db, input, current, previous, engine),
    getVisitTotals(db, input.projectId, [current, previous], input.filters, engine),
  ]);
  return {
    current: { ...eventTotals.current, ...visits[0]! },
    previous: { ...eventTotals.previous, ...visits[1]! },
    topEvent: eventTotals.topEvent,
  };
}

type EventTotals = Omit<PeriodTotals, keyof VisitTotals>;
interface EventTotalsAnswer {
  current: EventTotals;
  previous: EventTotals;
  topEvent: string | null;
}

/**
 * Events, sessions, users and the top event from the rollups, their user sets counted as people with the engine's
 * person map while it serves the project (else by the statement's own per-link correction: 250-410 ms at 125 k
 * links, 10 M events); filtered (only while the engine does not serve the project), from raw events. The rollups
 * hold people over any range, kept aggregates past a retention horizon included.
 */
async function eventTotalsOf(
  db: Database,
  input: AnalyticsInput,
  current: Span,
  previous: Span,
  engine: QueryEngine | null,
): Promise<EventTotalsAnswer> {
  const people = engine && !input.filters?.length ? await engine.personSpace(db, input.projectId) : null;
  return rollupTotals(db, input, current, previous, people?.personOf ?? undefined);
}

/** Events, sessions and users of both periods and the top event, from the rollups in one statement. */
async function rollupTotals(
  db: Database,
  input: AnalyticsInput,
  current: Span,
  previous: Span,
  people: Int32Array | undefined,
): Promise<EventTotalsAnswer> {
  const totals: GroupedStatsOptions = {
    projectId: input.projectId,
    groups: [
      { g: 0, ...current },
      { g: 1, ...previous },
    ],
    dimension: ALL_DIMENSION,
    withUsers: true,
    filters: input.filters,
    people,
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
      sql`select g, value, events, sessions, users, user_sets from (${totalsSql}) totals
          union all
          (select -1, value, events, sessions, users, user_sets from (${byEventSql}) by_event
            order by events desc, value limit 1)`,
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
