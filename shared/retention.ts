/**
 * The retention contract: input and output of `analytics.retention`. Depended on by the server's router and query
 * (server/analytics/retention/get-retention.ts), the dashboard's retention page and API users. Names and shapes are
 * a contract: add, never rename.
 *
 * Semantics (the README's "Retention" section states them for users): a start event is an event named `startEvent`
 * (any event when left out) that passes `filters`; a return event likewise with `returnEvent`. People, not ids: ids
 * linked by identify count as one person; events without a distinct_id count for nobody. A cohort is the people whose
 * FIRST-EVER start event (across all stored history) falls in one interval — a local day, or a local week starting
 * Monday 00:00, in `timezone` — that starts in [from, to). `returned[0]` is the cohort's size; `returned[k]` counts
 * its people with a return event in the k-th interval after the cohort's. An entry is present once its interval
 * has started (at most `periods + 1` entries); the current interval counts events up to now.
 */
import { z } from "zod";
import { analyticsInputSchema } from "./analytics.ts";
import {
  DEFAULT_RETENTION_INTERVAL,
  DEFAULT_RETENTION_PERIODS,
  MAX_EVENT_NAME_LENGTH,
  MAX_RETENTION_PERIODS,
  MIN_RETENTION_PERIODS,
  RETENTION_INTERVALS,
} from "./journey-constants.ts";

export type { RetentionInterval } from "./journey-constants.ts";

/** An event name as a step or a retention event: 1-200 characters, no NUL. */
export const eventNameSchema = z
  .string()
  .min(1, { message: "An event name must not be empty: leave the field out for any event." })
  .max(MAX_EVENT_NAME_LENGTH, { message: `An event name is at most ${MAX_EVENT_NAME_LENGTH} characters.` })
  .refine((value) => !value.includes("\u0000"), { message: "An event name must not contain NUL." });

export const retentionInputSchema = analyticsInputSchema.safeExtend({
  interval: z.enum(RETENTION_INTERVALS, { error: "interval is day or week." }).default(DEFAULT_RETENTION_INTERVAL),
  periods: z
    .number({ error: `periods is a whole number from ${MIN_RETENTION_PERIODS} to ${MAX_RETENTION_PERIODS}.` })
    .int({ message: `periods is a whole number from ${MIN_RETENTION_PERIODS} to ${MAX_RETENTION_PERIODS}.` })
    .min(MIN_RETENTION_PERIODS, { message: `periods is at least ${MIN_RETENTION_PERIODS}.` })
    .max(MAX_RETENTION_PERIODS, { message: `periods is at most ${MAX_RETENTION_PERIODS}.` })
    .default(DEFAULT_RETENTION_PERIODS),
  startEvent: eventNameSchema.optional(),
  returnEvent: eventNameSchema.optional(),
});
export type RetentionInput = z.input<typeof retentionInputSchema>;
export type ParsedRetentionInput = z.output<typeof retentionInputSchema>;

export interface RetentionCohort {
  /** Start of the cohort's interval (local midnight, Monday's for weeks), as an ISO instant. */
  start: string;
  size: number;
  /** returned[0] = size; returned[k]: people back in the k-th interval after; only intervals started by now. */
  returned: number[];
}
export interface Retention {
  cohorts: RetentionCohort[];
}
