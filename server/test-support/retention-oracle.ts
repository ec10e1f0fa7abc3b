/**
 * The retention oracle (not used by production code): analytics.retention computed plainly in JS over the raw
 * events of fetchOracleEvents (journeys-oracle.ts: people through the alias map, local intervals from PostgreSQL's
 * time zone arithmetic). Used by server/analytics/retention/get-retention.test.ts and the cohort filter tests.
 */
import type { ParsedRetentionInput, Retention } from "../../shared/retention.ts";
import type { OracleEvent } from "./journeys-oracle.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The cohorts of the interval `starts` (oracleIntervalStarts), each with its size and returns, as seen at `now`
 * (`nowNumber` is now's interval, oracleIntervalNumber): events at or after now are not counted yet.
 */
export function oracleRetention(
  events: OracleEvent[],
  starts: Array<{ start: number; number: number }>,
  now: number,
  nowNumber: number,
  input: ParsedRetentionInput,
): Retention {
  const numberOf = (e: OracleEvent) => (input.interval === "day" ? e.day : e.week);
  const startOf = (e: OracleEvent) => (input.interval === "day" ? e.dayStart : e.weekStart);
  const firstStart = new Map<number, OracleEvent>();
  for (const e of events) {
    if (e.person === null || e.ts >= now) continue;
    if (input.startEvent !== undefined && e.name !== input.startEvent) continue;
    const seen = firstStart.get(e.person);
    if (!seen || e.ts < seen.ts) firstStart.set(e.person, e);
  }
  const returned = new Map<number, Set<number>>();
  for (const e of events) {
    if (e.person === null || e.ts >= now) continue;
    if (input.returnEvent !== undefined && e.name !== input.returnEvent) continue;
    const first = firstStart.get(e.person);
    if (!first) continue;
    const k = numberOf(e) - numberOf(first);
    if (k < 1 || k > input.periods) continue;
    const ks = returned.get(e.person) ?? new Set<number>();
    ks.add(k);
    returned.set(e.person, ks);
  }
  const cohorts = starts
    .filter((s) => s.start <= now)
    .map(({ start, number }) => {
      const members = [...firstStart].filter(([, e]) => startOf(e) === start).map(([person]) => person);
      const entries = Math.min(input.periods + 1, nowNumber - number + 1);
      const row = [members.length];
      for (let k = 1; k < entries; k++) row.push(members.filter((p) => returned.get(p)?.has(k)).length);
      return { start: iso(start), size: members.length, returned: row };
    });
  return { cohorts };
}
