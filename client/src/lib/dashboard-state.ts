/**
 * The dashboard's state lives in the URL so a view can be bookmarked, shared and restored with Back:
 *   ?period=24h|7d|30d|90d            a preset (7d when absent or unknown)
 *   ?period=today|yesterday           the local day in the chosen timezone (today: from its midnight to now)
 *   ?period=custom&from=YYYY-MM-DD&to=YYYY-MM-DD
 *                                     a custom range of whole days in the chosen timezone, both ends inclusive
 *   ?cfrom=YYYY-MM-DD&cto=YYYY-MM-DD  "Compare to": whole local days the metrics' previous figures cover instead of
 *                                     the period just before (both ends inclusive; both or neither)
 *   ?tz=Area/City                     the timezone; the viewer's own when absent
 *   ?f=eq:path:/pricing (repeatable)  filters: op:dimension:value for eq, neq, contains and not_contains (the
 *                                     value may contain ':'); op:dimension for is_set and not_set; and
 *                                     in:dimension:a,b for the one OR group (each value with '%' and ','
 *                                     percent-encoded). A property dimension travels as property.<percent-encoded key>.
 *                                     A cohort filter is in:cohort:<cohort id> or not_in:cohort:<cohort id>.
 * These functions are pure: they read a plain record of search params and return the patch to write back. Periods,
 * filter ops, dimensions and limits are the server's own (shared/analytics-constants.ts, shared/dimensions.ts): a
 * filter the server would refuse is dropped from the URL instead of failing every card.
 */
import {
  ANALYTICS_PERIODS,
  type AnalyticsPeriod,
  DEFAULT_PERIOD,
  MAX_FILTER_VALUE_LENGTH,
  MAX_FILTERS,
  MAX_IN_FILTERS,
  MAX_IN_VALUES,
  MIN_IN_VALUES,
  PERIOD_LABELS,
  PRESENCE_FILTER_OPS,
  type PresenceFilterOp,
  VALUE_FILTER_OPS,
  type ValueFilterOp,
} from "../../../shared/analytics-constants.ts";
import { COHORT_DIMENSION, COHORT_FILTER_OPS, type CohortFilterOp } from "../../../shared/cohort-constants.ts";
import { isDimension } from "../../../shared/dimensions.ts";

export const PRESET_PERIODS = ANALYTICS_PERIODS.map((value) => ({ value, label: PERIOD_LABELS[value] }));

export type PresetPeriod = AnalyticsPeriod;
/** Presets of one local day, computed in the dashboard's timezone (the server knows only from/to). */
export type DayPreset = "today" | "yesterday";
export const DAY_PRESETS: ReadonlyArray<{ value: DayPreset; label: string }> = [
  { value: "today", label: "Today" },
  { value: "yesterday", label: "Yesterday" },
];
/** How often a range that reaches now refreshes while the tab is visible (fixed ranges never change). */
export const LIVE_REFRESH_MS = 30_000;
/** One filter of the dashboard: the API's AnalyticsFilter shape (shared/analytics.ts), its dimension a plain string. */
export type Filter =
  | { dimension: string; op: ValueFilterOp; value: string }
  | { dimension: string; op: PresenceFilterOp }
  | { dimension: string; op: "in"; values: string[] }
  | CohortFilter;
/** The event's person is (in) or is not (not_in) a member of the project's cohort `value` (an id). */
export type CohortFilter = { dimension: typeof COHORT_DIMENSION; op: CohortFilterOp; value: string };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** True for a cohort filter. */
export function isCohortFilter(filter: Filter): filter is CohortFilter {
  return filter.dimension === COHORT_DIMENSION;
}

export type DashboardState = {
  period: PresetPeriod | DayPreset | "custom";
  /** Inclusive local dates, only for the custom period. */
  from: string | null;
  to: string | null;
  /** Inclusive local dates of the "Compare to" period, both or neither. */
  compareFrom: string | null;
  compareTo: string | null;
  timezone: string;
  filters: Filter[];
};

export type SearchRecord = Record<string, string | string[] | undefined>;
export type SearchPatch = Record<string, string | string[] | null | undefined>;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The browser's timezone (e.g. "Europe/Paris"), UTC when it cannot tell. */
export function viewerTimeZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isValidTimeZone(zone) ? zone : "UTC";
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    // A RangeError is the browser's way of saying the zone is unknown.
    return false;
  }
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  const match = DATE_RE.exec(value);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const all = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** True for a value the server takes in a filter: non-empty, at most MAX_FILTER_VALUE_LENGTH, no NUL. */
export function isFilterValue(value: string): boolean {
  return value.length > 0 && value.length <= MAX_FILTER_VALUE_LENGTH && !value.includes("\u0000");
}

/** Parses one `f` param; null when it is not a filter with a known op and dimension and values the server takes. */
export function parseFilter(raw: string): Filter | null {
  const firstColon = raw.indexOf(":");
  if (firstColon < 1) return null;
  const op = raw.slice(0, firstColon);
  const secondColon = raw.indexOf(":", firstColon + 1);
  const dimension = decodeDimension(raw.slice(firstColon + 1, secondColon < 0 ? undefined : secondColon));
  if (dimension === COHORT_DIMENSION) {
    const value = secondColon < 0 ? "" : raw.slice(secondColon + 1);
    if (!(COHORT_FILTER_OPS as readonly string[]).includes(op) || !UUID_RE.test(value)) return null;
    return { dimension: COHORT_DIMENSION, op: op as CohortFilterOp, value };
  }
  if (!dimension || !isDimension(dimension)) return null;
  if ((PRESENCE_FILTER_OPS as readonly string[]).includes(op)) {
    // is_set and not_set take no value: a value part makes it a filter the server would refuse.
    return secondColon < 0 ? { op: op as PresenceFilterOp, dimension } : null;
  }
  if (secondColon < 0) return null;
  const rest = raw.slice(secondColon + 1);
  if ((VALUE_FILTER_OPS as readonly string[]).includes(op)) {
    return isFilterValue(rest) ? { op: op as ValueFilterOp, dimension, value: rest } : null;
  }
  if (op === "in") {
    const values = decodeInValues(rest);
    return values ? { op: "in", dimension, values } : null;
  }
  return null;
}

/** Each value of an `in` filter with `%` and `,` percent-encoded, joined by commas. */
function encodeInValues(values: readonly string[]): string {
  return values.map((value) => value.replaceAll("%", "%25").replaceAll(",", "%2C")).join(",");
}

function decodeInValues(raw: string): string[] | null {
  try {
    const values = raw.split(",").map((part) => decodeURIComponent(part));
    if (values.length < MIN_IN_VALUES || values.length > MAX_IN_VALUES || !values.every(isFilterValue)) return null;
    return values;
  } catch {
    // Malformed percent-encoding from a hand-edited URL: drop that filter rather than the page.
    return null;
  }
}

/** What the dashboard's filter form holds (client/src/components/filter-builder.tsx). */
export type FilterForm = {
  /** A dimension's name, or "property" for property:<propertyKey>. */
  dimension: string;
  propertyKey: string;
  op: string;
  /** The value of eq, neq, contains and not_contains. */
  value: string;
  /** The values of `in`, comma-separated. */
  values: string;
};

/** The filter a form describes, or why it is not one the server takes (said the way the form shows it). */
export function filterFromForm(form: FilterForm): { filter: Filter } | { error: string } {
  if (form.dimension === COHORT_DIMENSION) {
    if (!(COHORT_FILTER_OPS as readonly string[]).includes(form.op)) return { error: "Choose in or not in cohort." };
    if (!UUID_RE.test(form.value)) return { error: "Choose a cohort." };
    return { filter: { dimension: COHORT_DIMENSION, op: form.op as CohortFilterOp, value: form.value } };
  }
  const dimension = form.dimension === "property" ? `property:${form.propertyKey.trim()}` : form.dimension;
  if (form.dimension === "property" && !form.propertyKey.trim()) return { error: "Enter a property key." };
  if (!isDimension(dimension)) return { error: "Choose a dimension." };
  if ((PRESENCE_FILTER_OPS as readonly string[]).includes(form.op)) {
    return { filter: { dimension, op: form.op as PresenceFilterOp } };
  }
  if ((VALUE_FILTER_OPS as readonly string[]).includes(form.op)) {
    const value = form.value.trim();
    if (!value) return { error: "Enter a value (or choose is set / is not set)." };
    if (!isFilterValue(value)) return { error: `A value is at most ${MAX_FILTER_VALUE_LENGTH} characters.` };
    return { filter: { dimension, op: form.op as ValueFilterOp, value } };
  }
  if (form.op === "in") {
    const values = [...new Set(form.values.split(",").map((v) => v.trim()))].filter(Boolean);
    if (values.length < MIN_IN_VALUES || values.length > MAX_IN_VALUES) {
      return { error: `Enter ${MIN_IN_VALUES} to ${MAX_IN_VALUES} values, separated by commas.` };
    }
    if (!values.every(isFilterValue)) return { error: `A value is at most ${MAX_FILTER_VALUE_LENGTH} characters.` };
    return { filter: { dimension, op: "in", values } };
  }
  return { error: "Choose a condition." };
}

/** Property keys may hold ':' themselves, so they travel percent-encoded inside the dimension part. */
function encodeDimension(dimension: string): string {
  return dimension.startsWith("property:") ? `property.${encodeURIComponent(dimension.slice(9))}` : dimension;
}

function decodeDimension(raw: string): string | null {
  if (!raw.startsWith("property.")) return raw;
  try {
    const key = decodeURIComponent(raw.slice(9));
    return key ? `property:${key}` : null;
  } catch {
    // Malformed percent-encoding from a hand-edited URL: drop that filter rather than the page.
    return null;
  }
}

export function serializeFilter(filter: Filter): string {
  const head = `${filter.op}:${encodeDimension(filter.dimension)}`;
  if (isCohortFilter(filter)) return `${head}:${filter.value}`;
  if (filter.op === "in") return `${head}:${encodeInValues(filter.values)}`;
  return "value" in filter ? `${head}:${filter.value}` : head;
}

/** Reads the dashboard state from search params, falling back to defaults for anything missing or invalid. */
export function readDashboardState(search: SearchRecord, fallbackZone = viewerTimeZone()): DashboardState {
  const tzParam = first(search.tz);
  const timezone = tzParam && isValidTimeZone(tzParam) ? tzParam : fallbackZone;
  const filters: Filter[] = [];
  for (const raw of all(search.f)) {
    const filter = parseFilter(raw);
    if (!filter || filters.some((f) => sameFilter(f, filter))) continue;
    // The server takes one OR group per call: a second `in` is dropped like any filter it would refuse.
    const inGroups = (list: Filter[]) => list.filter((f) => f.op === "in" && !isCohortFilter(f)).length;
    if (filter.op === "in" && !isCohortFilter(filter) && inGroups(filters) >= MAX_IN_FILTERS) continue;
    filters.push(filter);
    if (filters.length === MAX_FILTERS) break;
  }
  const periodParam = first(search.period);
  const from = first(search.from);
  const to = first(search.to);
  const cfrom = first(search.cfrom);
  const cto = first(search.cto);
  // A reversed range is read the way the person meant it.
  const ordered = (a: string, b: string) => (a <= b ? [a, b] : [b, a]) as [string, string];
  const [compareFrom, compareTo] =
    cfrom && cto && isIsoDate(cfrom) && isIsoDate(cto) ? ordered(cfrom, cto) : [null, null];
  const compare = { compareFrom, compareTo };
  if (periodParam === "custom" && from && to && isIsoDate(from) && isIsoDate(to)) {
    const [start, end] = ordered(from, to);
    return { period: "custom", from: start, to: end, timezone, filters, ...compare };
  }
  const day = DAY_PRESETS.find((p) => p.value === periodParam)?.value;
  const preset = day ?? PRESET_PERIODS.find((p) => p.value === periodParam)?.value ?? DEFAULT_PERIOD;
  return { period: preset, from: null, to: null, timezone, filters, ...compare };
}

export function sameFilter(a: Filter, b: Filter): boolean {
  return serializeFilter(a) === serializeFilter(b);
}

/** The patch selecting a preset period (custom dates are dropped from the URL). */
export function presetPatch(period: PresetPeriod | DayPreset): SearchPatch {
  return { period, from: null, to: null };
}

/** The patch choosing the "Compare to" days; null when the dates are not valid (the form shows why). */
export function comparePatch(from: string, to: string): SearchPatch | null {
  if (!isIsoDate(from) || !isIsoDate(to)) return null;
  const [start, end] = from <= to ? [from, to] : [to, from];
  return { cfrom: start, cto: end };
}

/** The patch going back to comparing with the period just before. */
export function clearComparePatch(): SearchPatch {
  return { cfrom: null, cto: null };
}

/** The patch selecting a custom range; null when the dates are not valid (the form shows why). */
export function customRangePatch(from: string, to: string): SearchPatch | null {
  if (!isIsoDate(from) || !isIsoDate(to)) return null;
  const [start, end] = from <= to ? [from, to] : [to, from];
  return { period: "custom", from: start, to: end };
}

export function timezonePatch(zone: string, viewerZone = viewerTimeZone()): SearchPatch {
  // The viewer's own zone is the default: keep the URL short and let a shared link follow each viewer's clock.
  return { tz: zone === viewerZone ? null : zone };
}

export function filtersPatch(filters: Filter[]): SearchPatch {
  return { f: filters.length ? filters.map(serializeFilter) : null };
}

export function addFilterPatch(state: DashboardState, filter: Filter): SearchPatch {
  // Filtering a dimension again replaces its previous equality filter: "page is /a" then "page is /b" means /b. A new
  // OR group replaces the previous one (the server takes one).
  const replaced = (f: Filter) =>
    (f.op === "eq" && filter.op === "eq" && f.dimension === filter.dimension) || (f.op === "in" && filter.op === "in");
  const kept = state.filters.filter((f) => !replaced(f));
  if (kept.some((f) => sameFilter(f, filter))) return filtersPatch(kept);
  return filtersPatch([...kept, filter].slice(-MAX_FILTERS));
}

export function removeFilterPatch(state: DashboardState, filter: Filter): SearchPatch {
  return filtersPatch(state.filters.filter((f) => !sameFilter(f, filter)));
}

/** Milliseconds to add to UTC to get the wall clock of `zone` at instant `utcMs`. */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The instant of local midnight starting `date` (YYYY-MM-DD) in `zone`. */
export function zonedMidnight(date: string, zone: string): Date {
  const match = DATE_RE.exec(date);
  if (!match) throw new RangeError(`not a date: ${date}`);
  const wall = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Two passes settle the offset on days when it changes (DST).
  const firstGuess = wall - zoneOffsetMs(zone, wall);
  const offset = zoneOffsetMs(zone, firstGuess);
  return new Date(wall - offset);
}

/** The day after `date`, as YYYY-MM-DD. */
export function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** Today's date in `zone`, as YYYY-MM-DD. */
export function todayIn(zone: string, now = Date.now()): string {
  return new Date(now + zoneOffsetMs(zone, now)).toISOString().slice(0, 10);
}

/** `days` before `date`, as YYYY-MM-DD. */
export function daysBefore(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

export type AnalyticsRange = {
  period?: PresetPeriod;
  from?: string;
  to?: string;
  timezone: string;
  filters?: Filter[];
  compareFrom?: string;
  compareTo?: string;
};

/**
 * The common input of every analytics procedure for this state (the range is [from, to)). "Today" is sent as its
 * local midnight with no end, so the server reads it up to its own now at every refresh.
 */
export function toAnalyticsRange(state: DashboardState, now = Date.now()): AnalyticsRange {
  const filters = state.filters.length ? state.filters.map((f) => ({ ...f })) : undefined;
  const zone = state.timezone;
  const compare =
    state.compareFrom && state.compareTo
      ? {
          compareFrom: zonedMidnight(state.compareFrom, zone).toISOString(),
          compareTo: zonedMidnight(nextDay(state.compareTo), zone).toISOString(),
        }
      : {};
  const days = (first: string, last: string): AnalyticsRange => ({
    from: zonedMidnight(first, zone).toISOString(),
    to: zonedMidnight(nextDay(last), zone).toISOString(),
    timezone: zone,
    filters,
    ...compare,
  });
  if (state.period === "custom" && state.from && state.to) return days(state.from, state.to);
  if (state.period === "today") {
    return { from: zonedMidnight(todayIn(zone, now), zone).toISOString(), timezone: zone, filters, ...compare };
  }
  if (state.period === "yesterday") {
    const yesterday = daysBefore(todayIn(zone, now), 1);
    return days(yesterday, yesterday);
  }
  const period = state.period === "custom" ? DEFAULT_PERIOD : state.period;
  return { period, timezone: zone, filters, ...compare };
}

/**
 * How often a range's cards refetch: every LIVE_REFRESH_MS when the range reaches now (a preset period, today, or
 * an end not yet past), never for a range wholly in the past. TanStack Query refetches on an interval only while
 * the tab is visible (refetchIntervalInBackground stays off).
 */
export function refetchIntervalOf(range: AnalyticsRange, now = Date.now()): number | false {
  if (range.to === undefined) return LIVE_REFRESH_MS;
  return Date.parse(range.to) > now ? LIVE_REFRESH_MS : false;
}

/** The label of the selected period, e.g. "Last 7 days" or "Nov 1 – Nov 7, 2026". */
export function describePeriod(state: DashboardState): string {
  const day = DAY_PRESETS.find((p) => p.value === state.period);
  if (day) return day.label;
  if (state.period !== "custom" || !state.from || !state.to) {
    return PRESET_PERIODS.find((p) => p.value === state.period)?.label ?? PERIOD_LABELS[DEFAULT_PERIOD];
  }
  const fmt = (date: string, withYear: boolean) =>
    new Intl.DateTimeFormat("en-US", {
      timeZone: "UTC",
      month: "short",
      day: "numeric",
      year: withYear ? "numeric" : undefined,
    }).format(new Date(`${date}T00:00:00Z`));
  if (state.from === state.to) return fmt(state.from, true);
  return `${fmt(state.from, false)} – ${fmt(state.to, true)}`;
}

/** The "Compare to" days in words ("Nov 1 – Nov 7, 2026"), or null when comparing with the period just before. */
export function describeComparison(state: DashboardState): string | null {
  if (!state.compareFrom || !state.compareTo) return null;
  return describePeriod({ ...state, period: "custom", from: state.compareFrom, to: state.compareTo });
}
