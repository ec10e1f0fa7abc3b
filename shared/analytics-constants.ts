/**
 * The analytics contract's constants: periods, filter ops and limits, declared once for the server's schemas
 * (shared/analytics.ts) and the dashboard (client/src/lib/dashboard-state.ts, dimensions.ts, period-picker.tsx),
 * so the two cannot disagree. Zero dependencies: the dashboard imports this without pulling in zod. The dimensions
 * have their own table, shared/dimensions.ts. Names and values are a contract: add, never rename.
 */

export const ANALYTICS_PERIODS = ["24h", "7d", "30d", "90d"] as const;
export type AnalyticsPeriod = (typeof ANALYTICS_PERIODS)[number];
export const PERIOD_MS: Record<AnalyticsPeriod, number> = {
  "24h": 24 * 3_600_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
  "90d": 90 * 86_400_000,
};
/** How the dashboard names each period. */
export const PERIOD_LABELS: Record<AnalyticsPeriod, string> = {
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  "90d": "Last 90 days",
};
export const DEFAULT_PERIOD: AnalyticsPeriod = "7d";

/**
 * Longest range any procedure accepts. Events are kept forever unless the project sets a retention
 * (`retentionDays`, shared/projects.ts); ingest refuses event timestamps older than 365 days, which is unrelated.
 */
export const MAX_RANGE_MS = 400 * 86_400_000;
/** Longest range a timeseries may split into hours (a chart of at most ~1,000 points). */
export const MAX_HOURLY_RANGE_MS = 42 * 86_400_000;
/** Ranges up to this length get hourly points when no granularity is asked for. */
export const AUTO_HOURLY_UP_TO_MS = 48 * 3_600_000;
/** The earliest instant a range may name: nothing is stored before it, and far dates break date arithmetic in SQL. */
export const EARLIEST_RANGE_DATE = "2000-01-01T00:00:00Z";
/** How far past now a range may end (a client's clock a little ahead, the end of today in any zone). */
export const LATEST_RANGE_AHEAD_MS = 86_400_000;

/**
 * Filter ops, each with how the dashboard says it ("Page is not /docs"). Three shapes (shared/analytics.ts):
 *   - VALUE_FILTER_OPS take one `value`: eq, neq, contains (case-insensitive, literal), not_contains; neq and
 *     not_contains keep events where the dimension is missing;
 *   - PRESENCE_FILTER_OPS take no value: is_set (not null and not empty), not_set (null or empty);
 *   - `in` takes `values` (MIN_IN_VALUES to MAX_IN_VALUES), an OR group: the dimension equals any of them.
 */
export const VALUE_FILTER_OPS = ["eq", "neq", "contains", "not_contains"] as const;
export const PRESENCE_FILTER_OPS = ["is_set", "not_set"] as const;
export const FILTER_OPS = [...VALUE_FILTER_OPS, ...PRESENCE_FILTER_OPS, "in"] as const;
export type ValueFilterOp = (typeof VALUE_FILTER_OPS)[number];
export type PresenceFilterOp = (typeof PRESENCE_FILTER_OPS)[number];
export type FilterOp = (typeof FILTER_OPS)[number];
export const FILTER_OP_LABELS: Record<FilterOp, string> = {
  eq: "is",
  neq: "is not",
  contains: "contains",
  not_contains: "does not contain",
  is_set: "is set",
  not_set: "is not set",
  in: "is one of",
};
/** Most filters one call takes (ANDed). */
export const MAX_FILTERS = 20;
/** Longest filter value (and each of an `in` filter's values), in UTF-16 code units (JavaScript string length). */
export const MAX_FILTER_VALUE_LENGTH = 1000;
/** Most `in` filters one call takes: one OR group. */
export const MAX_IN_FILTERS = 1;
/** How many values an `in` filter takes (one value is `eq`). */
export const MIN_IN_VALUES = 2;
export const MAX_IN_VALUES = 20;

/** `limit` of topEvents and breakdown: rows of one ranked list. */
export const DEFAULT_LIST_LIMIT = 10;
export const MAX_LIST_LIMIT = 100;
/** `limit` of sessions and users: rows of one page. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
/** Deepest `offset` of sessions and users; page further with the cursor (see shared/analytics.ts). */
export const MAX_PAGE_OFFSET = 10_000;

/** people.events: events per page of one person's timeline. */
export const PERSON_EVENTS_PAGE_SIZE = 50;
/** people.get: the person's latest sessions shown. */
export const PERSON_SESSIONS_LIMIT = 20;
/** people.list: longest `search` text. */
export const MAX_PEOPLE_SEARCH_LENGTH = 200;
