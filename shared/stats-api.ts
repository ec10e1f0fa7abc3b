/**
 * The answers of the Stats API (`GET /api/v1/stats/*`, server/http/routes/stats-api.ts) as zod schemas, for its
 * OpenAPI document. Each is typed against the TypeScript answer of the tRPC procedure it mirrors
 * (z.ZodType<Overview> and so on), so a field added to an answer without being described here fails typecheck,
 * and server/http/routes/openapi.test.ts parses real answers with them (strict objects: no undescribed field).
 */
import { z } from "zod";
import type { BreakdownRow, Overview, Timeseries, TopEvent, WithRawDataFrom } from "./analytics.ts";
import type { FunnelResult } from "./funnel.ts";
import type { Paths } from "./paths.ts";
import type { Realtime } from "./realtime.ts";
import type { Retention } from "./retention.ts";

const count = z.number().int().min(0);
const instant = z.string().describe("An ISO 8601 instant.");
const seconds = z.number().min(0);
/** shared/analytics.ts RawDataFromAnswer; the array answers (breakdown, top-events) send it as a header instead. */
const rawDataFrom = z
  .string()
  .nullable()
  .describe(
    "With a retention, the instant raw events are kept from (the horizon promised; removal runs in batches); null when the project keeps them forever. Before it, per-event figures (visit metrics, filtered figures, funnels, retention, paths) cover only this instant on; unfiltered event totals, uniques, top event, timeseries and top events come from kept aggregates when the project keeps them.",
  );
const totals = {
  totalEvents: count,
  uniqueSessions: count,
  uniqueUsers: count,
  visits: count.describe("Sessions with at least one page_view in the range."),
  pageviews: count.describe("Events named page_view in the range."),
  viewsPerVisit: z.number().min(0).describe("Page views of the visits / visits; 0 without visits."),
  bounceRate: z.number().min(0).max(1).describe("Visits with one page_view and nothing else but identify, / visits."),
  visitDurationMeanSeconds: seconds.describe("Per visit, last event minus first event in the range."),
  visitDurationMedianSeconds: seconds,
};

export const statsAggregateSchema: z.ZodType<WithRawDataFrom<Overview>> = z.strictObject({
  ...totals,
  topEvent: z.string().nullable(),
  periodStart: instant,
  periodEnd: instant,
  previous: z
    .strictObject(totals)
    .describe("The period compared with: the same-length period just before, or compareFrom/compareTo."),
  previousStart: instant,
  previousEnd: instant,
  botEventsFiltered: count.describe("Bot and crawler events kept out of every figure, in the range."),
  rawDataFrom,
});

export const statsTimeseriesSchema: z.ZodType<WithRawDataFrom<Timeseries>> = z.strictObject({
  granularity: z.enum(["hour", "day"]),
  points: z.array(z.strictObject({ timestamp: instant, count, uniqueSessions: count })),
  rawDataFrom,
});

export const statsBreakdownSchema: z.ZodType<BreakdownRow[]> = z.array(
  z.strictObject({
    value: z.string().describe('"" is the bucket of events lacking the dimension (only with includeMissing).'),
    count,
    pageviews: count,
    uniqueSessions: count,
    uniqueUsers: count,
  }),
);

export const statsTopEventsSchema: z.ZodType<TopEvent[]> = z.array(
  z.strictObject({ eventName: z.string(), count, uniqueSessions: count, uniqueUsers: count }),
);

export const statsRealtimeSchema: z.ZodType<Realtime> = z.strictObject({ currentVisitors: count });

const ratio = z.number().min(0).max(1);
const funnelStep = z.strictObject({
  event: z.string(),
  count,
  conversionFromStart: ratio,
  conversionFromPrevious: ratio,
  medianSecondsFromPrevious: z.number().nullable(),
});
export const statsFunnelSchema: z.ZodType<WithRawDataFrom<FunnelResult>> = z.strictObject({
  steps: z.array(funnelStep),
  breakdown: z.array(z.strictObject({ value: z.string(), steps: z.array(funnelStep) })).optional(),
  rawDataFrom,
});

export const statsRetentionSchema: z.ZodType<WithRawDataFrom<Retention>> = z.strictObject({
  cohorts: z.array(z.strictObject({ start: instant, size: count, returned: z.array(count) })),
  rawDataFrom,
});

export const statsPathsSchema: z.ZodType<WithRawDataFrom<Paths>> = z.strictObject({
  nodes: z.array(z.strictObject({ step: z.number().int(), value: z.string(), sessions: count })),
  links: z.array(z.strictObject({ fromStep: z.number().int(), from: z.string(), to: z.string(), sessions: count })),
  rawDataFrom,
});
