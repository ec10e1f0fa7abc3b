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

export const ANALYTICS_PERIODS = ["24h", "7d", "30d", "90d"] as const;
export type AnalyticsPeriod = (typeof ANALYTICS_PERIODS)[number];
export const PERIOD_MS: Record<AnalyticsPeriod, number> = {
  "24h": 24 * 3_600_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
  "90d": 90 * 86_400_000,
};
export const DEFAULT_PERIOD: AnalyticsPeriod = "7d";

/** Longest range any procedure accepts (events are kept at most 365 days). */
export const MAX_RANGE_MS = 400 * 86_400_000;
/** Longest range a timeseries may split into hours (a chart of at most ~1,000 points). */
export const MAX_HOURLY_RANGE_MS = 42 * 86_400_000;
/** Ranges up to this length get hourly points when no granularity is asked for. */
export const AUTO_HOURLY_UP_TO_MS = 48 * 3_600_000;
/**
 * Most points x filters one timeseries may ask for (42 days of hours with 20 filters is 20,160). A bound on the work
 * until the query engine can take more; beyond it the call is BAD_REQUEST on `granularity`.
 */
export const MAX_TIMESERIES_CELLS = 5_000;

/** Columns every event has that can be broken down and filtered on; `property:<key>` reads `properties`. */
export const EVENT_DIMENSIONS = [
  "event_name",
  "path",
  "referrer",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "browser",
  "os",
  "device",
] as const;
export type EventDimension = (typeof EVENT_DIMENSIONS)[number];
export const PROPERTY_PREFIX = "property:";

export const dimensionSchema = z.union([
  z.enum(EVENT_DIMENSIONS),
  z
    .string()
    .regex(/^property:.{1,200}$/s, {
      message: "A property dimension is property:<key> with a key of 1-200 characters.",
    })
    .transform((value) => value as `property:${string}`),
]);
export type Dimension = EventDimension | `property:${string}`;

export const filterSchema = z.object({
  dimension: dimensionSchema,
  op: z.enum(["eq", "neq", "contains"]),
  value: z.string().max(1000),
});
export type AnalyticsFilter = z.infer<typeof filterSchema>;

let supportedTimeZones: Set<string> | null = null;
/** True for "UTC" and the zones of Intl.supportedValuesOf("timeZone"). */
export function isSupportedTimeZone(zone: string): boolean {
  supportedTimeZones ??= new Set(["UTC", ...Intl.supportedValuesOf("timeZone")]);
  return supportedTimeZones.has(zone);
}

export const timeZoneSchema = z.string().max(64).refine(isSupportedTimeZone, {
  message: "Unknown time zone: use an IANA name such as Europe/Paris or UTC.",
});

/** The earliest instant a range may name: nothing is stored before it, and far dates break date arithmetic in SQL. */
export const EARLIEST_RANGE_DATE = "2000-01-01T00:00:00Z";
const EARLIEST_RANGE_MS = Date.parse(EARLIEST_RANGE_DATE);
/** How far past now a range may end (a client's clock a little ahead, the end of today in any zone). */
export const LATEST_RANGE_AHEAD_MS = 86_400_000;

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

const rangeFields = {
  projectId: z.uuid({ message: "projectId must be a UUID" }),
  period: z.enum(ANALYTICS_PERIODS).optional(),
  from: isoDateSchema.optional(),
  to: isoDateSchema.optional(),
  timezone: timeZoneSchema.optional(),
  filters: z.array(filterSchema).max(20).optional(),
};

export interface RangeInput {
  period?: AnalyticsPeriod | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** The [from, to) range an input asks for, at `now` (ms). */
export function resolveRange(input: RangeInput, now: number): { from: Date; to: Date } {
  const length = PERIOD_MS[input.period ?? DEFAULT_PERIOD];
  const to = input.to ? Date.parse(input.to) : now;
  const from = input.from ? Date.parse(input.from) : to - length;
  return { from: new Date(from), to: new Date(to) };
}

function checkRange(input: RangeInput, ctx: z.RefinementCtx): void {
  const { from, to } = resolveRange(input, Date.now());
  if (from.getTime() >= to.getTime()) {
    ctx.addIssue({ code: "custom", path: ["from"], message: "from must be before to." });
  } else if (to.getTime() - from.getTime() > MAX_RANGE_MS) {
    ctx.addIssue({ code: "custom", path: ["from"], message: "A range is at most 400 days." });
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
      ctx.addIssue({ code: "custom", path: ["granularity"], message: "Hourly points cover at most 42 days." });
      return;
    }
    const hourly = (input.granularity ?? (length <= AUTO_HOURLY_UP_TO_MS ? "hour" : "day")) === "hour";
    // A local day may be 23 or 25 hours long and the range may start mid-bucket: count one more on each side.
    const points = Math.ceil(length / (hourly ? 3_600_000 : 86_400_000)) + 2;
    const cells = points * (input.filters?.length ?? 0);
    if (cells > MAX_TIMESERIES_CELLS) {
      ctx.addIssue({
        code: "custom",
        path: ["granularity"],
        message: `About ${points} ${hourly ? "hourly" : "daily"} points with ${input.filters!.length} filters is too much to compute at once (at most ${MAX_TIMESERIES_CELLS.toLocaleString("en-US")} points x filters): narrow the range or the filters${hourly ? ", or use days" : ""}.`,
      });
    }
  });
export type TimeseriesInput = z.infer<typeof timeseriesInputSchema>;

export const topEventsInputSchema = z
  .object({ ...rangeFields, limit: z.number().int().min(1).max(100).default(10) })
  .superRefine(checkRange);
export type TopEventsInput = z.input<typeof topEventsInputSchema>;

export const breakdownInputSchema = z
  .object({ ...rangeFields, dimension: dimensionSchema, limit: z.number().int().min(1).max(100).default(10) })
  .superRefine(checkRange);
export type BreakdownInput = z.input<typeof breakdownInputSchema>;

/**
 * Paging of sessions and users. `offset` is for the first pages only: a deep offset makes PostgreSQL walk every row
 * before it, so it stops at MAX_PAGE_OFFSET. Beyond that, and for "next" in general, a page answers `nextCursor`
 * (null on the last page) and the next call passes it as `cursor`: the listing resumes after the last row shown, at
 * the cost of one index seek whatever the depth (keyset paging). The order is total (sort key, then the id as the
 * tiebreaker), so walking by cursor gives every row exactly once even when many share a sort key; an `offset` given
 * with a cursor counts from the cursor. The cursor is opaque to clients: base64url of JSON [kind, key, id], where
 * the key is the sort key as a decimal integer (last_seen in microseconds for sessions, event_count for users).
 */
export const MAX_PAGE_OFFSET = 10_000;
export type PageKind = "sessions" | "users";
/** Where a page ended: the sort key of its last row (a decimal integer) and that row's id. */
export interface PageCursor {
  key: string;
  id: string;
}
const CURSOR_KINDS: Record<PageKind, string> = { sessions: "s", users: "u" };
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

const pageCursorSchema = (kind: PageKind) =>
  z
    .string()
    .max(MAX_CURSOR_LENGTH, { message: "Malformed cursor: pass back a nextCursor unchanged." })
    .transform((value, ctx) => {
      const cursor = decodePageCursor(kind, value);
      if (!cursor) ctx.addIssue({ code: "custom", message: "Malformed cursor: pass back a nextCursor unchanged." });
      return cursor ?? z.NEVER;
    });
const pagingFields = (kind: PageKind) => ({
  limit: z.number().int().min(1).max(100).default(50),
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

export interface PeriodTotals {
  totalEvents: number;
  uniqueSessions: number;
  uniqueUsers: number;
}
export interface Overview extends PeriodTotals {
  /** The most frequent event name in the range, null when there were no events. */
  topEvent: string | null;
  periodStart: string;
  periodEnd: string;
  /** The same-length period just before. */
  previous: PeriodTotals;
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
  value: string;
  count: number;
  uniqueSessions: number;
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
