/**
 * The analytics contract: inputs and outputs of the `analytics.*` tRPC procedures (overview, timeseries, topEvents,
 * breakdown, sessions, users). Depended on by the server's analytics router and queries, the dashboard and API
 * users. Names and shapes are a contract: add, never rename. Dates cross the wire as ISO 8601 strings.
 *
 * Ranges are half-open, [from, to). `from`/`to` override `period` (default 7d); with only `from`, `to` is now; with
 * only `to`, the range is the period's length before it. `from` and `to` lie in [2000-01-01, now + 1 day]. The time zone only decides where day and hour buckets
 * start; it is checked against the IANA list here and never reaches SQL. Every number is exact.
 */
import { z } from "zod";
import {
  ANALYTICS_PERIODS,
  type AnalyticsPeriod,
  DEFAULT_LIST_LIMIT,
  DEFAULT_PAGE_SIZE,
  DEFAULT_PERIOD,
  EARLIEST_RANGE_DATE,
  FILTER_OPS,
  LATEST_RANGE_AHEAD_MS,
  MAX_FILTER_VALUE_LENGTH,
  MAX_FILTERS,
  MAX_HOURLY_RANGE_MS,
  MAX_IN_FILTERS,
  MAX_IN_VALUES,
  MAX_LIST_LIMIT,
  MAX_PAGE_OFFSET,
  MAX_PAGE_SIZE,
  MAX_RANGE_MS,
  MIN_IN_VALUES,
  PERIOD_MS,
  PRESENCE_FILTER_OPS,
  type PresenceFilterOp,
  VALUE_FILTER_OPS,
  type ValueFilterOp,
} from "./analytics-constants.ts";
import { COHORT_DIMENSION, COHORT_FILTER_OPS, type CohortFilterOp } from "./cohort-constants.ts";
import { type Dimension, EVENT_DIMENSIONS, MAX_PROPERTY_KEY_LENGTH, PROPERTY_PREFIX } from "./dimensions.ts";
import { NUL_MESSAGE } from "./no-nul.ts";

// Periods, limits and filter ops live in analytics-constants.ts, dimensions in dimensions.ts (zero-dependency, so
// the dashboard shares them without zod); this file holds the schemas built from them.

// A property key is any 1-200 characters but NUL (PostgreSQL's text refuses it).
const propertyDimensionPattern = new RegExp(`^${PROPERTY_PREFIX}[^\\u0000]{1,${MAX_PROPERTY_KEY_LENGTH}}$`, "s");
export const dimensionSchema = z.union([
  z.enum(EVENT_DIMENSIONS),
  z
    .string()
    .regex(propertyDimensionPattern, {
      message: `A property dimension is property:<key> with a key of 1-${MAX_PROPERTY_KEY_LENGTH} characters and no NUL.`,
    })
    .transform((value) => value as `property:${string}`),
]);

/**
 * One filter: a condition on one dimension of an event; a call's filters are ANDed (at most MAX_FILTERS, at most
 * MAX_IN_FILTERS of them `in`). Semantics (server/analytics/event-filter-sql.ts is the reference): a dimension reads
 * as text (a property `properties ->> key`, so `eq "42"` matches 42 and "42", `"true"` matches true); `neq` and
 * `not_contains` keep events where it is missing; `contains` is a case-insensitive literal substring; `is_set` is
 * not null and not empty, `not_set` the opposite; `in` is equal to any of `values` (missing never matches). An empty
 * value is never a filter (use is_set/not_set), so every refusal names its field (`filters.2.value`).
 */
export type DimensionFilter =
  | { dimension: Dimension; op: ValueFilterOp; value: string }
  | { dimension: Dimension; op: PresenceFilterOp }
  | { dimension: Dimension; op: "in"; values: string[] };

/**
 * A cohort filter: the event's person (after alias links) is (`in`) or is not (`not_in`) a member of the project's
 * cohort `value` (shared/cohorts.ts), evaluated when the call runs (relative windows end at the time of the call).
 * Events without a person are never in a cohort. An unknown cohort, or another project's, is NOT_FOUND.
 */
export type CohortFilter = { dimension: typeof COHORT_DIMENSION; op: CohortFilterOp; value: string };

export type AnalyticsFilter = DimensionFilter | CohortFilter;

/** True for the cohort filter. */
export function isCohortFilter(filter: AnalyticsFilter): filter is CohortFilter {
  return filter.dimension === COHORT_DIMENSION;
}

const EMPTY_VALUE_MESSAGE =
  "A filter value must not be empty: to match a missing or empty value use op is_set or not_set.";
const filterValueSchema = z
  .string()
  .min(1, { message: EMPTY_VALUE_MESSAGE })
  .max(MAX_FILTER_VALUE_LENGTH, { message: `A filter value is at most ${MAX_FILTER_VALUE_LENGTH} characters.` })
  .refine((value) => !value.includes("\u0000"), { message: NUL_MESSAGE });

/** A member the op does not take is refused on that member rather than silently dropped. */
function refuseMember(member: string, message: string) {
  return (filter: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (filter[member] !== undefined) ctx.addIssue({ code: "custom", path: [member], message });
  };
}

const valueFilterSchema = z
  .object({
    dimension: dimensionSchema,
    op: z.enum(VALUE_FILTER_OPS),
    value: filterValueSchema,
    values: z.unknown().optional(),
  })
  .superRefine(refuseMember("values", "Only op in takes values; this op takes one value."))
  .transform(({ dimension, op, value }): DimensionFilter => ({ dimension, op, value }));
const presenceFilterSchema = z
  .object({
    dimension: dimensionSchema,
    op: z.enum(PRESENCE_FILTER_OPS),
    value: z.unknown().optional(),
    values: z.unknown().optional(),
  })
  .superRefine(refuseMember("value", "is_set and not_set take no value: leave value out."))
  .superRefine(refuseMember("values", "is_set and not_set take no values: leave values out."))
  .transform(({ dimension, op }): DimensionFilter => ({ dimension, op }));
const inFilterSchema = z
  .object({
    dimension: dimensionSchema,
    op: z.literal("in"),
    values: z
      .array(filterValueSchema)
      .min(MIN_IN_VALUES, { message: `op in takes ${MIN_IN_VALUES}-${MAX_IN_VALUES} values (for one, use eq).` })
      .max(MAX_IN_VALUES, { message: `op in takes ${MIN_IN_VALUES}-${MAX_IN_VALUES} values.` }),
    value: z.unknown().optional(),
  })
  .superRefine(refuseMember("value", "op in takes values (a list), not value."))
  .transform(({ dimension, values }): DimensionFilter => ({ dimension, op: "in", values }));

/** A filter on an event's dimension (no cohort): the filters of a cohort's own event conditions. */
export const dimensionFilterSchema = z.discriminatedUnion(
  "op",
  [valueFilterSchema, presenceFilterSchema, inFilterSchema],
  { error: `Unknown filter op: use one of ${FILTER_OPS.join(", ")}.` },
);

const cohortFilterSchema = z
  .object({
    dimension: z.literal(COHORT_DIMENSION),
    op: z.enum(COHORT_FILTER_OPS, { error: `A cohort filter's op is one of ${COHORT_FILTER_OPS.join(", ")}.` }),
    value: z.uuid({ message: "A cohort filter's value is the cohort's id (a UUID)." }),
    values: z.unknown().optional(),
  })
  .superRefine(refuseMember("values", "A cohort filter takes one cohort id as value, not values."))
  .transform(({ dimension, op, value }): CohortFilter => ({ dimension, op, value }));

type FilterInput = z.input<typeof dimensionFilterSchema> | z.input<typeof cohortFilterSchema>;

/**
 * Any filter: a cohort filter when `dimension` is "cohort", else a dimension filter. Chosen by the dimension before
 * parsing (rather than a union tried branch by branch) so that a refusal names the field of the one shape meant.
 */
export const filterSchema = z.unknown().transform((raw, ctx): AnalyticsFilter => {
  const isCohort =
    typeof raw === "object" && raw !== null && (raw as { dimension?: unknown }).dimension === COHORT_DIMENSION;
  const parsed = isCohort ? cohortFilterSchema.safeParse(raw) : dimensionFilterSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  return z.NEVER;
}) as unknown as z.ZodType<AnalyticsFilter, FilterInput>;

export const filtersSchema = z
  .array(filterSchema)
  .max(MAX_FILTERS, { message: `At most ${MAX_FILTERS} filters.` })
  .superRefine(checkInFilters);

/** Refuses more than MAX_IN_FILTERS filters with op in (on the op of the first one too many). */
export function checkInFilters(filters: readonly AnalyticsFilter[], ctx: z.RefinementCtx): void {
  let inFilters = 0;
  filters.forEach((filter, i) => {
    if (filter.op === "in" && !isCohortFilter(filter) && ++inFilters > MAX_IN_FILTERS) {
      ctx.addIssue({ code: "custom", path: [i, "op"], message: `At most ${MAX_IN_FILTERS} filter with op in.` });
    }
  });
}

let supportedTimeZones: Set<string> | null = null;
/** True for "UTC" and the zones of Intl.supportedValuesOf("timeZone"). */
export function isSupportedTimeZone(zone: string): boolean {
  supportedTimeZones ??= new Set(["UTC", ...Intl.supportedValuesOf("timeZone")]);
  return supportedTimeZones.has(zone);
}

export const timeZoneSchema = z.string().max(64).refine(isSupportedTimeZone, {
  message: "Unknown time zone: use an IANA name such as Europe/Paris or UTC.",
});

const EARLIEST_RANGE_MS = Date.parse(EARLIEST_RANGE_DATE);

const isoDateSchema = z.iso
  .datetime({ offset: true, message: "Use an ISO 8601 date-time such as 2026-01-31T00:00:00Z." })
  .refine(
    (value) => {
      const at = Date.parse(value);
      // An unreadable date is the format check's to report.
      return Number.isNaN(at) || (at >= EARLIEST_RANGE_MS && at <= Date.now() + LATEST_RANGE_AHEAD_MS);
    },
    { message: "Dates must lie between 2000-01-01 and one day from now." },
  );

/** The range fields every analytics input has (shared with the funnel and other analysis contracts). */
export const rangeFields = {
  projectId: z.uuid({ message: "projectId must be a UUID" }),
  period: z.enum(ANALYTICS_PERIODS).optional(),
  from: isoDateSchema.optional(),
  to: isoDateSchema.optional(),
  timezone: timeZoneSchema.optional(),
  filters: filtersSchema.optional(),
  /** "Compare to": the period the overview's `previous` covers instead of the one just before (both or neither). */
  compareFrom: isoDateSchema.optional(),
  compareTo: isoDateSchema.optional(),
};

export interface RangeInput {
  period?: AnalyticsPeriod | undefined;
  from?: string | undefined;
  to?: string | undefined;
  compareFrom?: string | undefined;
  compareTo?: string | undefined;
}

/** The [from, to) range an input asks for, at `now` (ms). */
export function resolveRange(input: RangeInput, now: number): { from: Date; to: Date } {
  const length = PERIOD_MS[input.period ?? DEFAULT_PERIOD];
  const to = input.to ? Date.parse(input.to) : now;
  const from = input.from ? Date.parse(input.from) : to - length;
  return { from: new Date(from), to: new Date(to) };
}

/**
 * The [from, to) period a range is compared with: the chosen `compareFrom`/`compareTo`, or else the period of the
 * same length just before the range.
 */
export function resolveComparison(input: RangeInput, range: { from: Date; to: Date }): { from: Date; to: Date } {
  if (input.compareFrom !== undefined && input.compareTo !== undefined) {
    return { from: new Date(Date.parse(input.compareFrom)), to: new Date(Date.parse(input.compareTo)) };
  }
  const length = range.to.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - length), to: range.from };
}

/** Refuses an inverted or over-long range (on `from`) and a half-given, inverted or over-long comparison. */
export function checkRange(input: RangeInput, ctx: z.RefinementCtx): void {
  const { from, to } = resolveRange(input, Date.now());
  if (from.getTime() >= to.getTime()) {
    ctx.addIssue({ code: "custom", path: ["from"], message: "from must be before to." });
  } else if (to.getTime() - from.getTime() > MAX_RANGE_MS) {
    ctx.addIssue({ code: "custom", path: ["from"], message: `A range is at most ${MAX_RANGE_MS / 86_400_000} days.` });
  }
  const { compareFrom, compareTo } = input;
  if ((compareFrom === undefined) !== (compareTo === undefined)) {
    const missing = compareFrom === undefined ? "compareFrom" : "compareTo";
    ctx.addIssue({
      code: "custom",
      path: [missing],
      message: "compareFrom and compareTo go together: give both or neither.",
    });
  } else if (compareFrom !== undefined && compareTo !== undefined) {
    const start = Date.parse(compareFrom);
    const end = Date.parse(compareTo);
    // An unreadable or out-of-bounds date is the date check's to report.
    if (Number.isNaN(start) || Number.isNaN(end) || start < EARLIEST_RANGE_MS || end < EARLIEST_RANGE_MS) return;
    if (start >= end) {
      ctx.addIssue({ code: "custom", path: ["compareFrom"], message: "compareFrom must be before compareTo." });
    } else if (end - start > MAX_RANGE_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["compareFrom"],
        message: `A comparison period is at most ${MAX_RANGE_MS / 86_400_000} days.`,
      });
    }
  }
}

export const analyticsInputSchema = z.object(rangeFields).superRefine(checkRange);
export type AnalyticsInput = z.infer<typeof analyticsInputSchema>;

export const timeseriesInputSchema = z
  .object({ ...rangeFields, granularity: z.enum(["hour", "day"]).optional() })
  .superRefine((input, ctx) => {
    checkRange(input, ctx);
    const { from, to } = resolveRange(input, Date.now());
    const length = to.getTime() - from.getTime();
    if (input.granularity === "hour" && length > MAX_HOURLY_RANGE_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["granularity"],
        message: `Hourly points cover at most ${MAX_HOURLY_RANGE_MS / 86_400_000} days.`,
      });
    }
  });
export type TimeseriesInput = z.infer<typeof timeseriesInputSchema>;

export const topEventsInputSchema = z
  .object({ ...rangeFields, limit: z.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT) })
  .superRefine(checkRange);
export type TopEventsInput = z.input<typeof topEventsInputSchema>;

export const breakdownInputSchema = z
  .object({
    ...rangeFields,
    dimension: dimensionSchema,
    limit: z.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
    /** Also rank the events that lack the dimension, as one row with `value: ""` (default: left out). */
    includeMissing: z.boolean().optional(),
    /** Rank by `count` (every event, the default) or by `pageviews` (the Pages card); ties by value. */
    orderBy: z.enum(["count", "pageviews"]).optional(),
  })
  .superRefine(checkRange);
export type BreakdownInput = z.input<typeof breakdownInputSchema>;

/**
 * Entry or exit pages: per visit (a session with a page_view in the range), the path of its first (`entry`) or last
 * (`exit`) page_view in the range, page views ordered by timestamp then path in code-point order. With filters, the
 * visits with at least one matching event, their page views all counted.
 */
export const entryExitPagesInputSchema = z
  .object({
    ...rangeFields,
    side: z.enum(["entry", "exit"]),
    limit: z.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
    /** Also rank the visits whose page_view has no path, as `value: ""`. */
    includeMissing: z.boolean().optional(),
  })
  .superRefine(checkRange);
export type EntryExitPagesInput = z.input<typeof entryExitPagesInputSchema>;

/**
 * Paging of sessions and users. `offset` is for the first pages only: a deep offset makes PostgreSQL walk every row
 * before it, so it stops at MAX_PAGE_OFFSET. Beyond that, and for "next" in general, a page answers `nextCursor`
 * (null on the last page) and the next call passes it as `cursor`: the listing resumes after the last row shown, at
 * the cost of one index seek whatever the depth (keyset paging). The order is total (sort key, then the id as the
 * tiebreaker), so walking by cursor gives every row exactly once even when many share a sort key; an `offset` given
 * with a cursor counts from the cursor. The cursor is opaque to clients: base64url of JSON [kind, key, id], where
 * the key is the sort key as a decimal integer (last_seen in microseconds for sessions and people, event_count for
 * users, the timestamp in microseconds for a person's events).
 */
export type PageKind = "sessions" | "users" | "people" | "events";
/** Where a page ended: the sort key of its last row (a decimal integer) and that row's id. */
export interface PageCursor {
  key: string;
  id: string;
}
const CURSOR_KINDS: Record<PageKind, string> = { sessions: "s", users: "u", people: "p", events: "e" };
const CURSOR_KEY = /^\d{1,18}$/;
const MAX_CURSOR_LENGTH = 1024;

/** The opaque `nextCursor` string for a page that ended at `cursor`. */
export function encodePageCursor(kind: PageKind, cursor: PageCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([CURSOR_KINDS[kind], cursor.key, cursor.id]));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The position a `cursor` string names, or null when it is not one this listing made (malformed or another kind). */
export function decodePageCursor(kind: PageKind, value: string): PageCursor | null {
  if (value.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  let parsed: unknown;
  try {
    const binary = atob(value.replaceAll("-", "+").replaceAll("_", "/"));
    const text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    parsed = JSON.parse(text);
  } catch {
    return null; // not base64url, not UTF-8 or not JSON: the caller reports it as a malformed cursor
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [tag, key, id] = parsed as unknown[];
  if (tag !== CURSOR_KINDS[kind] || typeof key !== "string" || !CURSOR_KEY.test(key)) return null;
  // The id is compared with stored ids in SQL: a NUL would be refused by PostgreSQL, so it never gets there.
  if (typeof id !== "string" || id.length === 0 || id.includes("\u0000")) {
    return null;
  }
  return { key, id };
}

export const pageCursorSchema = (kind: PageKind) =>
  z
    .string()
    .max(MAX_CURSOR_LENGTH, { message: "Malformed cursor: pass back a nextCursor unchanged." })
    .transform((value, ctx) => {
      const cursor = decodePageCursor(kind, value);
      if (!cursor) ctx.addIssue({ code: "custom", message: "Malformed cursor: pass back a nextCursor unchanged." });
      return cursor ?? z.NEVER;
    });
const pagingFields = (kind: PageKind) => ({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  offset: z
    .number()
    .int()
    .min(0)
    .max(MAX_PAGE_OFFSET, { message: `offset is at most ${MAX_PAGE_OFFSET}: page further with cursor (nextCursor).` })
    .default(0),
  cursor: pageCursorSchema(kind).optional(),
});
export const sessionsInputSchema = z.object({ ...rangeFields, ...pagingFields("sessions") }).superRefine(checkRange);
export type SessionsInput = z.input<typeof sessionsInputSchema>;
export const usersInputSchema = z.object({ ...rangeFields, ...pagingFields("users") }).superRefine(checkRange);
export type UsersInput = z.input<typeof usersInputSchema>;

// Outputs -----------------------------------------------------------------------------------------------------------

/**
 * Carried by every analytics answer over a range (overview, timeseries, sessions, users, people, funnels,
 * retention, paths, goals, cohorts; not the ranked lists topEvents, breakdown and entryExitPages, whose answers are
 * arrays: the Stats API sends it as the `Raw-Data-From` header for every answer). With a retention
 * (projects.retentionDays), the instant raw events are kept from (ISO, the start of a UTC day); null when the
 * project keeps them forever. It is the horizon the product promises: removal runs in batches, so older events may
 * still be counted for a while, never fewer than from it on. Over a range starting before it, per-event figures
 * (filtered queries, visit metrics, breakdown rows, entry and exit pages, sessions, users, people, funnels, retention,
 * paths, goals) cover only rawDataFrom on; with keepAggregatesPastRetention the unfiltered event totals, unique
 * sessions and users, top event, timeseries and topEvents come from the rollups and stay whole.
 */
export interface RawDataFromAnswer {
  rawDataFrom: string | null;
}
export type WithRawDataFrom<T> = T & RawDataFromAnswer;

/**
 * Visit metrics (the README's "Web metrics"). A visit is a session with at least one `page_view` in the range; events
 * without a session id are never visits. With filters, the visits with at least one matching event, each computed
 * from all of its events in the range.
 */
export interface VisitTotals {
  /** Sessions with at least one page_view in the range. */
  visits: number;
  /** Events named page_view in the range (with filters: the matching ones), with or without a session. */
  pageviews: number;
  /** Page views of the visits / visits; 0 when there are none. */
  viewsPerVisit: number;
  /** 0-1: visits with exactly one page_view and no event but page_view, identify or $identify, over visits. */
  bounceRate: number;
  /** Per visit, its last event minus its first in the range (one-event visits are 0 and count); mean and median. */
  visitDurationMeanSeconds: number;
  visitDurationMedianSeconds: number;
}

export interface PeriodTotals extends VisitTotals {
  totalEvents: number;
  uniqueSessions: number;
  uniqueUsers: number;
}
export interface Overview extends PeriodTotals {
  /** The most frequent event name in the range, null when there were no events. */
  topEvent: string | null;
  periodStart: string;
  periodEnd: string;
  /** The same-length period just before, or the chosen compareFrom/compareTo period. */
  previous: PeriodTotals;
  /** The period `previous` covers, as ISO instants. */
  previousStart: string;
  previousEnd: string;
  /**
   * Events from bots and crawlers that the project's bot filter kept out of every figure, with a timestamp in the
   * range (the filters do not apply to it). Each dropped event counts once, however often it was resent.
   */
  botEventsFiltered: number;
}

export type Granularity = "hour" | "day";
export interface TimeseriesPoint {
  /** Start of the bucket (local midnight or local hour start of the time zone), as an ISO instant. */
  timestamp: string;
  count: number;
  uniqueSessions: number;
}
export interface Timeseries {
  granularity: Granularity;
  points: TimeseriesPoint[];
}

export interface TopEvent {
  eventName: string;
  count: number;
  uniqueSessions: number;
  uniqueUsers: number;
}

export interface BreakdownRow {
  /** "" is the bucket of events lacking the dimension (only with includeMissing). */
  value: string;
  /** Every event with this value. */
  count: number;
  /** Those of them named page_view. */
  pageviews: number;
  uniqueSessions: number;
  /** People (linked ids count as one), as overview.uniqueUsers counts them. */
  uniqueUsers: number;
}

/** An entry or exit page and the visits that entered or left there. */
export interface EntryExitRow {
  value: string;
  visits: number;
}

/** A session active in the range; its figures cover the whole session. */
export interface SessionItem {
  sessionId: string;
  distinctId: string | null;
  eventCount: number;
  firstSeen: string;
  lastSeen: string;
  durationSeconds: number;
  entryPath: string | null;
  exitPath: string | null;
}
export interface SessionsPage {
  items: SessionItem[];
  /** Sessions active in the range (with the filters): the same number as overview.uniqueSessions. */
  total: number;
  /** Pass as `cursor` for the page after this one; null when this page is the last. */
  nextCursor: string | null;
}

/** A user active in the range; its figures cover the user's whole history. */
export interface UserItem {
  distinctId: string;
  eventCount: number;
  sessionCount: number;
  firstSeen: string;
  lastSeen: string;
}
export interface UsersPage {
  items: UserItem[];
  /** Users active in the range (with the filters): the same number as overview.uniqueUsers. */
  total: number;
  /** Pass as `cursor` for the page after this one; null when this page is the last. */
  nextCursor: string | null;
}
