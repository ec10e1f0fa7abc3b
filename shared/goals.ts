/**
 * The goals contract: inputs and outputs of `goals.list/create/delete` and `analytics.goals` (README, "Goals").
 * A goal is either an event name with optional filters (the analytics filter shape: the event counts when its name
 * is the goal's and it passes every filter), or a page path pattern (a `page_view` whose path matches it whole:
 * `*` stands for one path segment, any characters but `/`, possibly none; `**` for any characters, `/` included).
 * A goal can also be a funnel step (`{ goalId }`, shared/funnel.ts). Names and shapes are a contract: add, never
 * rename.
 */
import { z } from "zod";
import { type AnalyticsFilter, analyticsInputSchema, filtersSchema } from "./analytics.ts";
import { MAX_EVENT_NAME_LENGTH } from "./funnel-constants.ts";
import { NUL_MESSAGE } from "./no-nul.ts";

export const MAX_GOAL_NAME_LENGTH = 100;
export const MAX_PATH_PATTERN_LENGTH = 500;
/** Goals one project holds at most (each is one pass over the range's events on the Goals card). */
export const MAX_GOALS_PER_PROJECT = 50;
/** The event a path-pattern goal matches. */
export const PAGE_VIEW_EVENT = "page_view";

const noNul = (value: string) => !value.includes("\u0000");

const goalNameSchema = z
  .string({ message: "A goal's name is text." })
  .trim()
  .min(1, { message: "A goal's name must not be empty." })
  .max(MAX_GOAL_NAME_LENGTH, { message: `A goal's name is at most ${MAX_GOAL_NAME_LENGTH} characters.` })
  .refine(noNul, { message: NUL_MESSAGE });

const eventNameSchema = z
  .string({ message: "event is an event name (text)." })
  .min(1, { message: "event must not be empty." })
  .max(MAX_EVENT_NAME_LENGTH, { message: `An event name is at most ${MAX_EVENT_NAME_LENGTH} characters.` })
  .refine(noNul, { message: NUL_MESSAGE });

const pathPatternSchema = z
  .string({ message: "pathPattern is a path pattern (text)." })
  .min(1, { message: "pathPattern must not be empty." })
  .max(MAX_PATH_PATTERN_LENGTH, { message: `pathPattern is at most ${MAX_PATH_PATTERN_LENGTH} characters.` })
  .refine((value) => value.startsWith("/"), { message: "pathPattern starts with / (such as /blog/* or /docs/**)." })
  .refine((value) => !value.includes("***"), { message: "pathPattern takes * (one segment) or ** (any), not ***." })
  .refine(noNul, { message: NUL_MESSAGE });

export const goalIdSchema = z.uuid({ message: "goalId must be a UUID" });

export const listGoalsInputSchema = z.object({ projectId: z.uuid({ message: "projectId must be a UUID" }) });

/** Exactly one of `event` (with optional `filters`) and `pathPattern`. */
export const createGoalInputSchema = z
  .strictObject(
    {
      projectId: z.uuid({ message: "projectId must be a UUID" }),
      name: goalNameSchema,
      event: eventNameSchema.optional(),
      filters: filtersSchema.optional(),
      pathPattern: pathPatternSchema.optional(),
    },
    { error: "A goal is { projectId, name, event, filters? } or { projectId, name, pathPattern }." },
  )
  .superRefine((input, ctx) => {
    if (input.event === undefined && input.pathPattern === undefined) {
      ctx.addIssue({ code: "custom", path: ["event"], message: "A goal needs an event or a pathPattern." });
    }
    if (input.event !== undefined && input.pathPattern !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["pathPattern"],
        message: "A goal has an event or a pathPattern, not both.",
      });
    }
    if (input.pathPattern !== undefined && input.filters !== undefined) {
      ctx.addIssue({ code: "custom", path: ["filters"], message: "Only event goals take filters." });
    }
  });
export type CreateGoalInput = z.input<typeof createGoalInputSchema>;

export const deleteGoalInputSchema = z.object({
  projectId: z.uuid({ message: "projectId must be a UUID" }),
  goalId: goalIdSchema,
});

/** The Goals card: analytics.goals takes the dashboard's range and filters. */
export const goalStatsInputSchema = analyticsInputSchema;

export interface Goal {
  id: string;
  name: string;
  /** The event a goal of kind "event" matches; null for a path goal. */
  event: string | null;
  /** The event goal's filters ([] for none and for path goals). */
  filters: AnalyticsFilter[];
  /** The path pattern of a goal of kind "path"; null for an event goal. */
  pathPattern: string | null;
  createdAt: string;
}

export interface GoalStats {
  goalId: string;
  name: string;
  /** People with at least one matching event in the range (with the dashboard's filters). */
  uniques: number;
  /** Matching events in the range. */
  conversions: number;
  /** uniques / visitors, in [0, 1]; 0 when there were no visitors. */
  conversionRate: number;
}

export interface GoalsReport {
  /** People with at least one event in the range passing the filters: the overview's uniqueUsers. */
  visitors: number;
  goals: GoalStats[];
}

/** The regular expression a path pattern stands for, anchored at both ends. */
export function pathPatternRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*") {
      if (pattern[i + 1] === "*") {
        source += ".*";
        i++;
      } else source += "[^/]*";
    } else source += char.replace(/[\\^$.|?+()[\]{}-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}
