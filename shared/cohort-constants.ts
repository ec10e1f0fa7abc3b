/**
 * The cohorts contract's constants (shared/cohorts.ts), declared once for the server's schemas and the dashboard's
 * condition builder. Zero dependencies, so the dashboard imports this without zod. Add, never rename.
 */

/** Most groups in one definition (groups are ORed). */
export const MAX_COHORT_GROUPS = 10;
/** Most conditions in one group (conditions are ANDed). */
export const MAX_COHORT_CONDITIONS = 10;
/** Largest N of "performed at least / at most / exactly N times". */
export const MAX_COHORT_EVENT_COUNT = 1_000_000;
/**
 * Longest relative window, in days ("within the last D days"): a year, as old a timestamp as ingest accepts. How long
 * events are kept is the project's retention (shared/projects.ts), unrelated; a window reaching past it sees only the
 * kept events (cohorts answers carry rawDataFrom).
 */
export const MAX_COHORT_WINDOW_DAYS = 365;
/** Longest cohort name. */
export const MAX_COHORT_NAME_LENGTH = 200;
/** Most cohorts in one project (cohorts.list answers them all at once, with two sizes each). */
export const MAX_COHORTS_PER_PROJECT = 200;
/** Deepest chain of "in cohort" references (A in B in C ...), checked when saving. */
export const MAX_COHORT_NESTING = 10;

export const COHORT_COUNT_OPERATORS = ["at_least", "at_most", "exactly"] as const;
export type CohortCountOperator = (typeof COHORT_COUNT_OPERATORS)[number];
export const COHORT_COUNT_OPERATOR_LABELS: Record<CohortCountOperator, string> = {
  at_least: "at least",
  at_most: "at most",
  exactly: "exactly",
};

export const COHORT_TRAIT_OPS = ["eq", "neq", "contains", "is_set"] as const;
export type CohortTraitOp = (typeof COHORT_TRAIT_OPS)[number];
export const COHORT_TRAIT_OP_LABELS: Record<CohortTraitOp, string> = {
  eq: "is",
  neq: "is not",
  contains: "contains",
  is_set: "is set",
};

/** The ops of the analytics filter `{ dimension: "cohort", op, value: <cohort id> }` (shared/analytics.ts). */
export const COHORT_FILTER_OPS = ["in", "not_in"] as const;
export type CohortFilterOp = (typeof COHORT_FILTER_OPS)[number];
export const COHORT_FILTER_OP_LABELS: Record<CohortFilterOp, string> = { in: "in cohort", not_in: "not in cohort" };
/** The filter dimension naming a cohort (not an events column: the event's person is, or is not, a member). */
export const COHORT_DIMENSION = "cohort";
