import { type Granularity, resolveRange, type Timeseries, type TimeseriesInput } from "../../shared/analytics.ts";
import { AUTO_HOURLY_UP_TO_MS } from "../../shared/analytics-constants.ts";
import type { Database } from "../db/client.ts";
import type { QueryEngine } from "./engine/query-engine.ts";
import { type GroupedStatsOptions, queryStatsRows, type StatsGroup } from "./grouped-stats-sql.ts";
import { ALL_DIMENSION } from "./rollup-layout.ts";
import { listBuckets } from "./time-buckets.ts";

/** Event count and exact unique sessions per hour or local day, one point per bucket including empty ones. */
export async function getTimeseries(
  db: Database,
  input: TimeseriesInput,
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<Timeseries> {
  const { from, to } = resolveRange(input, now);
  const granularity: Granularity =
    input.granularity ?? (to.getTime() - from.getTime() <= AUTO_HOURLY_UP_TO_MS ? "hour" : "day");
  const boundaries = listBuckets(from.getTime(), to.getTime(), granularity, input.timezone ?? "UTC");
  // Each bucket is clipped to the range: the first and last may be partial.
  const groups: StatsGroup[] = [];
  for (let i = 0; i + 1 < boundaries.length; i++) {
    groups.push({
      g: i,
      from: Math.max(boundaries[i]!, from.getTime()),
      to: Math.min(boundaries[i + 1]!, to.getTime()),
    });
  }
  const points = (counts: (g: number) => { count: number; uniqueSessions: number }): Timeseries => ({
    granularity,
    points: groups.map(({ g }) => ({ timestamp: new Date(boundaries[g]!).toISOString(), ...counts(g) })),
  });
  if (engine && input.filters?.length) {
    const totals = await engine.totals(db, input.projectId, groups, input.filters, { sessions: true, people: false });
    if (totals) return points((g) => ({ count: totals[g]!.events, uniqueSessions: totals[g]!.sessions }));
  }
  const options: GroupedStatsOptions = {
    projectId: input.projectId,
    groups,
    dimension: ALL_DIMENSION,
    withUsers: false,
    filters: input.filters,
  };
  const rows = await queryStatsRows(db, [options]);
  const byGroup = new Map(rows.map((row) => [Number(row.g), row]));
  return points((g) => ({
    count: Number(byGroup.get(g)?.events ?? 0),
    uniqueSessions: Number(byGroup.get(g)?.sessions ?? 0),
  }));
}
