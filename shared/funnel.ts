/**
 * The funnel contract: inputs and outputs of `analytics.funnel` and `analytics.funnelPeople` (semantics in the
 * README, "Funnels": ClickHouse windowFunnel, default mode). Names and shapes are a contract: add, never rename.
 */
import { z } from "zod";
import { type AnalyticsFilter, checkRange, dimensionSchema, filtersSchema, rangeFields } from "./analytics.ts";

import {
  DEFAULT_FUNNEL_WINDOW_SECONDS,
  MAX_EVENT_NAME_LENGTH,
  MAX_FUNNEL_STEPS,
  MAX_FUNNEL_WINDOW_SECONDS,
  MIN_FUNNEL_STEPS,
} from "./funnel-constants.ts";

export * from "./funnel-constants.ts";

/**
 * A step: an event with optional filters, or one of the project's goals by id (goals.list; shared/goals.ts). One
 * object with every member optional rather than a union, so a refusal names its field (`steps.0.event`).
 */
const stepSchema = z
  .strictObject(
    {
      event: z
        .string({ message: "A step's event is an event name (text)." })
        .min(1, { message: "A step's event name must not be empty." })
        .max(MAX_EVENT_NAME_LENGTH, { message: `An event name is at most ${MAX_EVENT_NAME_LENGTH} characters.` })
        .refine((value) => !value.includes("\u0000"), { message: "An event name must not contain NUL." })
        .optional(),
      filters: filtersSchema.optional(),
      goalId: z.uuid({ message: "A step's goalId is a goal's id (a UUID)." }).optional(),
    },
    { error: "A step is { event, filters? } or { goalId }." },
  )
  .superRefine((step, ctx) => {
    if (step.goalId === undefined && step.event === undefined) {
      ctx.addIssue({ code: "custom", path: ["event"], message: "A step is { event, filters? } or { goalId }." });
    }
    if (step.goalId !== undefined && step.event !== undefined) {
      ctx.addIssue({ code: "custom", path: ["goalId"], message: "A step has an event or a goalId, not both." });
    }
    if (step.goalId !== undefined && step.filters !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["filters"],
        message: "A goal step takes no filters (the goal has its own).",
      });
    }
  })
  .transform((step): { event: string; filters?: AnalyticsFilter[] | undefined } | { goalId: string } =>
    step.goalId !== undefined ? { goalId: step.goalId } : { event: step.event!, filters: step.filters },
  );
export type FunnelStepInput = z.output<typeof stepSchema>;

/**
 * A step as the funnel walks it: a goal step becomes its goal's event and filters, or page_view with the goal's
 * path pattern (matched whole against the path); `goal` names the goal it came from.
 */
export interface ResolvedFunnelStep {
  event: string;
  filters?: AnalyticsFilter[] | undefined;
  pathPattern?: string | undefined;
  goal?: { id: string; name: string } | undefined;
}

const funnelFields = {
  ...rangeFields,
  steps: z
    .array(stepSchema)
    .min(MIN_FUNNEL_STEPS, { message: `A funnel has ${MIN_FUNNEL_STEPS}-${MAX_FUNNEL_STEPS} steps.` })
    .max(MAX_FUNNEL_STEPS, { message: `A funnel has ${MIN_FUNNEL_STEPS}-${MAX_FUNNEL_STEPS} steps.` }),
  windowSeconds: z
    .number()
    .int({ message: "windowSeconds is a whole number of seconds." })
    .min(1, { message: "windowSeconds is at least 1." })
    .max(MAX_FUNNEL_WINDOW_SECONDS, { message: `windowSeconds is at most ${MAX_FUNNEL_WINDOW_SECONDS} (90 days).` })
    .default(DEFAULT_FUNNEL_WINDOW_SECONDS),
  countBy: z.enum(["users", "sessions"]).default("users"),
  breakdown: dimensionSchema.optional(),
};

export const funnelInputSchema = z.object(funnelFields).superRefine(checkRange);
export type FunnelInput = z.input<typeof funnelInputSchema>;
export type ParsedFunnelInput = z.output<typeof funnelInputSchema>;

export const funnelPeopleInputSchema = z
  .object({
    ...funnelFields,
    step: z.number().int().min(1, { message: "step is 1-based." }),
    dropped: z.boolean().default(false),
    cursor: z
      .string()
      .max(200)
      .regex(/^\d{1,16}(\.\d{1,10})?_\d{1,15}$/, { message: "Malformed cursor: pass back a nextCursor unchanged." })
      .optional(),
  })
  .superRefine((input, ctx) => {
    checkRange(input, ctx);
    if (input.step > input.steps.length) {
      ctx.addIssue({ code: "custom", path: ["step"], message: "step is at most the number of steps." });
    }
    if (input.dropped && input.step < 2) {
      ctx.addIssue({ code: "custom", path: ["step"], message: "Dropped people are counted from step 2." });
    }
    if (input.countBy === "sessions") {
      ctx.addIssue({ code: "custom", path: ["countBy"], message: "funnelPeople lists people: use countBy users." });
    }
  });
export type FunnelPeopleInput = z.input<typeof funnelPeopleInputSchema>;
export type ParsedFunnelPeopleInput = z.output<typeof funnelPeopleInputSchema>;

export interface FunnelStep {
  /** The step's event (page_view for a path-pattern goal). */
  event: string;
  /** The goal a `{ goalId }` step names; absent for event steps. */
  goal?: { id: string; name: string };
  count: number;
  /** count / step 1's count, in [0, 1]; 1 for step 1, 0 when step 1 is 0. */
  conversionFromStart: number;
  /** count / the previous step's count, in [0, 1]; 1 for step 1, 0 when the previous count is 0. */
  conversionFromPrevious: number;
  /** Median of the seconds between the previous step and this one over the converted; null for step 1 or none. */
  medianSecondsFromPrevious: number | null;
}

export interface FunnelBreakdownRow {
  /** The step-1 event's value ("" when missing, FUNNEL_OTHER for values past the top 10). */
  value: string;
  steps: FunnelStep[];
}

export interface FunnelResult {
  steps: FunnelStep[];
  breakdown?: FunnelBreakdownRow[];
}

export interface FunnelPerson {
  /** The person's canonical distinct id (their analytics_users row). */
  distinctId: string;
  /** When the person's chain reached the step (for dropped: the last step they reached), ISO 8601. */
  reachedAt: string;
}

export interface FunnelPeoplePage {
  items: FunnelPerson[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}
