/**
 * The cohorts contract: inputs and outputs of `cohorts.list/get/create/update/delete`, and the definition format
 * stored with each cohort. Depended on by the server's cohorts router and evaluator (server/analytics/cohorts), the
 * dashboard's Cohorts page and API users: add, never rename.
 *
 * A cohort is a named set of people (canonical persons after alias links, as every analytics figure counts them),
 * defined by groups of conditions: a person is a member when every condition of at least one group holds.
 *   - `performed`: the person's events named `event` that pass `filters` (the engine's dimension filters), within
 *     `window`, number at least / at most / exactly `count` (at most and exactly 0 include people with none);
 *   - `not_performed`: no such event within the window;
 *   - `trait`: the person's trait `key` (its text: a number 42 reads "42") equals / differs from / contains
 *     (case-insensitive) `value`, or is set (present, not null, not empty); `neq` holds for people without the trait;
 *   - `cohort`: the person is (`in`) or is not (`not_in`) a member of another cohort of the project.
 * A window is `{ kind: "relative", days }`, the last D days before the evaluation time (now, or the start of the
 * range for cohorts.list's `sizeAtStart`), or `{ kind: "range", from, to }`, fixed, half-open. Traits are as they are
 * now (their history is not kept). A definition that refers to itself, directly or through others, or to an unknown
 * or deleted cohort, is BAD_REQUEST; a cohort others refer to cannot be deleted (CONFLICT names them).
 */
import { z } from "zod";
import { checkInFilters, checkRange, dimensionFilterSchema, rangeFields } from "./analytics.ts";
import { MAX_FILTER_VALUE_LENGTH, MAX_FILTERS } from "./analytics-constants.ts";
import {
  COHORT_COUNT_OPERATORS,
  COHORT_FILTER_OPS,
  COHORT_TRAIT_OPS,
  MAX_COHORT_CONDITIONS,
  MAX_COHORT_EVENT_COUNT,
  MAX_COHORT_GROUPS,
  MAX_COHORT_NAME_LENGTH,
  MAX_COHORT_WINDOW_DAYS,
} from "./cohort-constants.ts";
import { MAX_PROPERTY_KEY_LENGTH } from "./dimensions.ts";
import { NUL_MESSAGE } from "./no-nul.ts";

const noNul = (value: string) => !value.includes("\u0000");

const isoDate = z.iso.datetime({ offset: true, message: "Use an ISO 8601 date-time such as 2026-01-31T00:00:00Z." });

export const cohortWindowSchema = z.discriminatedUnion(
  "kind",
  [
    z.object({
      kind: z.literal("relative"),
      days: z
        .number()
        .int({ message: "days is a whole number." })
        .min(1, { message: `days is 1-${MAX_COHORT_WINDOW_DAYS}.` })
        .max(MAX_COHORT_WINDOW_DAYS, { message: `days is 1-${MAX_COHORT_WINDOW_DAYS}.` }),
    }),
    z
      .object({ kind: z.literal("range"), from: isoDate, to: isoDate })
      .refine((window) => Date.parse(window.from) < Date.parse(window.to), {
        path: ["from"],
        message: "from must be before to.",
      }),
  ],
  { error: 'A window is { kind: "relative", days } or { kind: "range", from, to }.' },
);
export type CohortWindow = z.infer<typeof cohortWindowSchema>;

const eventName = z
  .string()
  .min(1, { message: "event must not be empty." })
  .max(MAX_FILTER_VALUE_LENGTH, { message: `event is at most ${MAX_FILTER_VALUE_LENGTH} characters.` })
  .refine(noNul, { message: NUL_MESSAGE });
const conditionFilters = z
  .array(dimensionFilterSchema)
  .max(MAX_FILTERS, { message: `At most ${MAX_FILTERS} filters.` })
  .superRefine(checkInFilters)
  .optional();

export const cohortConditionSchema = z.discriminatedUnion(
  "type",
  [
    z.object({
      type: z.literal("performed"),
      event: eventName,
      filters: conditionFilters,
      operator: z.enum(COHORT_COUNT_OPERATORS, {
        error: `operator is one of ${COHORT_COUNT_OPERATORS.join(", ")}.`,
      }),
      count: z
        .number()
        .int({ message: "count is a whole number." })
        .min(0, { message: `count is 0-${MAX_COHORT_EVENT_COUNT}.` })
        .max(MAX_COHORT_EVENT_COUNT, { message: `count is 0-${MAX_COHORT_EVENT_COUNT}.` }),
      window: cohortWindowSchema,
    }),
    z.object({
      type: z.literal("not_performed"),
      event: eventName,
      filters: conditionFilters,
      window: cohortWindowSchema,
    }),
    z
      .object({
        type: z.literal("trait"),
        key: z
          .string()
          .min(1, { message: "key must not be empty." })
          .max(MAX_PROPERTY_KEY_LENGTH, { message: `key is at most ${MAX_PROPERTY_KEY_LENGTH} characters.` })
          .refine(noNul, { message: NUL_MESSAGE }),
        op: z.enum(COHORT_TRAIT_OPS, { error: `op is one of ${COHORT_TRAIT_OPS.join(", ")}.` }),
        value: z
          .string()
          .min(1, { message: "value must not be empty (to test presence use op is_set)." })
          .max(MAX_FILTER_VALUE_LENGTH, { message: `value is at most ${MAX_FILTER_VALUE_LENGTH} characters.` })
          .refine(noNul, { message: NUL_MESSAGE })
          .optional(),
      })
      .superRefine((condition, ctx) => {
        if (condition.op === "is_set" && condition.value !== undefined) {
          ctx.addIssue({ code: "custom", path: ["value"], message: "is_set takes no value: leave value out." });
        } else if (condition.op !== "is_set" && condition.value === undefined) {
          ctx.addIssue({ code: "custom", path: ["value"], message: `op ${condition.op} needs a value.` });
        }
      }),
    z.object({
      type: z.literal("cohort"),
      op: z.enum(COHORT_FILTER_OPS, { error: `op is one of ${COHORT_FILTER_OPS.join(", ")}.` }),
      cohortId: z.uuid({ message: "cohortId must be a UUID." }),
    }),
  ],
  { error: "A condition's type is one of performed, not_performed, trait, cohort." },
);
export type CohortCondition = z.infer<typeof cohortConditionSchema>;

export const cohortDefinitionSchema = z.object({
  groups: z
    .array(
      z.object({
        conditions: z
          .array(cohortConditionSchema)
          .min(1, { message: "A group has at least one condition." })
          .max(MAX_COHORT_CONDITIONS, { message: `A group has at most ${MAX_COHORT_CONDITIONS} conditions.` }),
      }),
    )
    .min(1, { message: "A definition has at least one group." })
    .max(MAX_COHORT_GROUPS, { message: `A definition has at most ${MAX_COHORT_GROUPS} groups.` }),
});
export type CohortDefinition = z.infer<typeof cohortDefinitionSchema>;

/** The ids of the cohorts a definition refers to, with where (the zod path) each reference is. */
export function cohortReferences(
  definition: CohortDefinition,
): Array<{ cohortId: string; path: Array<string | number> }> {
  const refs: Array<{ cohortId: string; path: Array<string | number> }> = [];
  definition.groups.forEach((group, g) => {
    group.conditions.forEach((condition, c) => {
      if (condition.type === "cohort") {
        refs.push({ cohortId: condition.cohortId, path: ["definition", "groups", g, "conditions", c, "cohortId"] });
      }
    });
  });
  return refs;
}

const projectId = z.uuid({ message: "projectId must be a UUID" });
const cohortId = z.uuid({ message: "cohortId must be a UUID" });
const cohortName = z
  .string()
  .trim()
  .min(1, { message: "name must not be empty." })
  .max(MAX_COHORT_NAME_LENGTH, { message: `name is at most ${MAX_COHORT_NAME_LENGTH} characters.` })
  .refine(noNul, { message: NUL_MESSAGE });

export const cohortsListInputSchema = z
  .object({ projectId, period: rangeFields.period, from: rangeFields.from, to: rangeFields.to })
  .superRefine(checkRange);
export type CohortsListInput = z.infer<typeof cohortsListInputSchema>;

export const cohortInputSchema = z.object({ projectId, cohortId });
/** cohorts.names: the project's cohorts by id and name only, evaluated nowhere (filter chips and pickers). */
export const cohortNamesInputSchema = z.object({ projectId });
export const createCohortInputSchema = z.object({ projectId, name: cohortName, definition: cohortDefinitionSchema });
export type CreateCohortInput = z.infer<typeof createCohortInputSchema>;
export const updateCohortInputSchema = z.object({
  projectId,
  cohortId,
  name: cohortName.optional(),
  definition: cohortDefinitionSchema.optional(),
});
export type UpdateCohortInput = z.infer<typeof updateCohortInputSchema>;

export interface Cohort {
  id: string;
  name: string;
  definition: CohortDefinition;
  createdAt: string;
  updatedAt: string;
}

/** cohorts.get: the cohort and its size now (null while the query engine is still indexing the project). */
export interface CohortWithSize extends Cohort {
  size: number | null;
}

/** cohorts.list: each cohort with its size now and at the start of the range (resolved as analytics ranges are). */
export interface CohortListItem extends CohortWithSize {
  sizeAtStart: number | null;
}
export interface CohortsList {
  items: CohortListItem[];
  /** The instant sizeAtStart is evaluated at (ISO). */
  start: string;
}
