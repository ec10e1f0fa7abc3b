/**
 * analytics.goals, the Goals card (README.md, "Goals"): per goal over the range and with the dashboard's filters,
 * conversions (matching events), uniques (distinct people among them) and the conversion rate (uniques / the
 * visitors: distinct people with any event passing the filters, the overview's uniqueUsers). One engine scan reads
 * the range's segments with the event name, the path and the goals' filter columns; an event matches a goal when
 * it passes the dashboard's filters, its name is the goal's event (page_view for a path goal) and it passes the
 * goal's filters or path pattern. Null from the engine (upgrade backfill running) becomes GoalsUnavailableError.
 */
import { type AnalyticsInput, resolveRange } from "../../../shared/analytics.ts";
import { type Goal, type GoalsReport, PAGE_VIEW_EVENT, pathPatternRegExp } from "../../../shared/goals.ts";
import type { Database } from "../../db/client.ts";
import { listGoals } from "../../queries/goals/list-goals.ts";
import { type Column, DICTIONARY } from "../engine/column-codec.ts";
import { columnNameOf, type EngineFilter, filterMask, patternMask } from "../engine/filter-masks.ts";
import type { Members, QueryEngine, ScannedSegment } from "../engine/query-engine.ts";

export const GOALS_UNAVAILABLE = "Goals are available once the upgrade backfill finishes: try again in a few minutes.";

/** The engine does not serve the project yet (its upgrade backfill is running). */
export class GoalsUnavailableError extends Error {
  constructor() {
    super(GOALS_UNAVAILABLE);
  }
}

const EVENT_NAME_COLUMN = "event_name";
const PATH_COLUMN = "path";

/** First slot whose time is >= t. */
function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function getGoalStats(
  db: Database,
  engine: QueryEngine,
  input: AnalyticsInput,
  now = Date.now(),
): Promise<GoalsReport> {
  const goals = await listGoals(db, input.projectId);
  const { from, to } = resolveRange(input, now);
  const span = { from: from.getTime(), to: to.getTime() };
  const filters = input.filters ?? [];
  const extra = [
    EVENT_NAME_COLUMN,
    PATH_COLUMN,
    ...goals.flatMap((g) => g.filters.map((f) => columnNameOf(f.dimension))),
  ];
  const report = await engine.scan(db, input.projectId, span, filters, extra, (segments, members) =>
    countGoals(segments, members, span, filters, goals),
  );
  if (report === null) throw new GoalsUnavailableError();
  return report;
}

function countGoals(
  segments: readonly ScannedSegment[],
  members: Members,
  span: { from: number; to: number },
  filters: readonly EngineFilter[],
  goals: readonly Goal[],
): GoalsReport {
  const space = members.userSpace + 1;
  const personOf = members.personOf;
  const person = (num: number) => (personOf !== null && num < personOf.length ? personOf[num]! : num);
  const visitorSeen = new Uint8Array(space);
  let visitors = 0;
  const seen = goals.map(() => new Uint8Array(space));
  const uniques = goals.map(() => 0);
  const conversions = goals.map(() => 0);
  const patterns = goals.map((g) => (g.pathPattern === null ? null : pathPatternRegExp(g.pathPattern)));
  for (const segment of segments) {
    const lo = lowerBound(segment.ts, span.from);
    const hi = lowerBound(segment.ts, span.to);
    if (lo >= hi) continue;
    const users = segment.users;
    if (users === null) throw new Error("scan() did not load users");
    const mask = filterMask(filters, segment.filterColumns, lo, hi);
    for (let i = lo; i < hi; i++) {
      if (mask !== null && mask[i - lo] === 0) continue;
      const num = users[i]!;
      if (num < 0) continue;
      const p = person(num);
      if (visitorSeen[p] === 0) {
        visitorSeen[p] = 1;
        visitors++;
      }
    }
    const names = dictionaryOf(segment.column(EVENT_NAME_COLUMN));
    if (names === null) continue;
    goals.forEach((goal, g) => {
      const code = names.entries.indexOf(goal.event ?? PAGE_VIEW_EVENT) + 1;
      if (code === 0) return; // no event of that name in this segment
      const goalMask = filterMask(
        goal.filters,
        goal.filters.map((f) => segment.column(columnNameOf(f.dimension))),
        lo,
        hi,
      );
      const pattern = patterns[g];
      const pathMask = pattern ? patternMask(pattern, segment.column(PATH_COLUMN), lo, hi) : null;
      const stamps = seen[g]!;
      const codes = names.codes;
      for (let i = lo; i < hi; i++) {
        if (codes[i] !== code) continue;
        if (mask !== null && mask[i - lo] === 0) continue;
        if (goalMask !== null && goalMask[i - lo] === 0) continue;
        if (pathMask !== null && pathMask[i - lo] === 0) continue;
        conversions[g]!++;
        const num = users[i]!;
        if (num < 0) continue;
        const p = person(num);
        if (stamps[p] === 0) {
          stamps[p] = 1;
          uniques[g]!++;
        }
      }
    });
  }
  return {
    visitors,
    goals: goals.map((goal, g) => ({
      goalId: goal.id,
      name: goal.name,
      uniques: uniques[g]!,
      conversions: conversions[g]!,
      conversionRate: visitors === 0 ? 0 : uniques[g]! / visitors,
    })),
  };
}

function dictionaryOf(column: Column | null): Extract<Column, { kind: typeof DICTIONARY }> | null {
  return column !== null && column.kind === DICTIONARY ? column : null;
}
