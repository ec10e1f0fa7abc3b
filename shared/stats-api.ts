/**
 * The answers of the Stats API (`GET /api/v1/stats/*`, server/http/routes/stats-api.ts) as zod schemas, for its
 * OpenAPI document. Each is typed against the TypeScript answer of the tRPC procedure it mirrors
 * (z.ZodType<Overview> and so on), so a field added to an answer without being described here fails typecheck,
 * and server/http/routes/openapi.test.ts parses real answers with them (strict objects: no undescribed field).
 */
import { z } from "zod";
import type { BreakdownRow, Overview, Timeseries, TopEvent } from "./analytics.ts";
import type { FunnelResult } from "./funnel.ts";
import type { Paths } from "./paths.ts";
import type { Realtime } from "./realtime.ts";
import type { Retention } from "./retention.ts";

const count = z.number().int().min(0);
const instant = z.string().describe("An ISO 8601 instant.");
const seconds = z.number().min(0);
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

export const statsAggregateSchema: z.ZodType<Overview> = z.strictObject({
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
});

export const statsTimeseriesSchema: z.ZodType<Timeseries> = z.strictObject({
  granularity: z.enum(["hour", "day"]),
  points: z.array(z.strictObject({ timestamp: instant, count, uniqueSessions: count })),
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
export const statsFunnelSchema: z.ZodType<FunnelResult> = z.strictObject({
  steps: z.array(funnelStep),
  breakdown: z.array(z.strictObject({ value: z.string(), steps: z.array(funnelStep) })).optional(),
});

export const statsRetentionSchema: z.ZodType<Retention> = z.strictObject({
  cohorts: z.array(z.strictObject({ start: instant, size: count, returned: z.array(count) })),
});

export const statsPathsSchema: z.ZodType<Paths> = z.strictObject({
  nodes: z.array(z.strictObject({ step: z.number().int(), value: z.string(), sessions: count })),
  links: z.array(z.strictObject({ fromStep: z.number().int(), from: z.string(), to: z.string(), sessions: count })),
});
