/**
 * The dashboard's state lives in the URL so a view can be bookmarked, shared and restored with Back:
 *   ?period=24h|7d|30d|90d            a preset (7d when absent or unknown)
 *   ?period=custom&from=YYYY-MM-DD&to=YYYY-MM-DD
 *                                     a custom range of whole days in the chosen timezone, both ends inclusive
 *   ?tz=Area/City                     the timezone; the viewer's own when absent
 *   ?f=eq:path:/pricing (repeatable)  filters: op, dimension, value (the value may contain ':')
 * These functions are pure: they read a plain record of search params and return the patch to write back. Periods,
 * filter ops, dimensions and limits are the server's own (shared/analytics-constants.ts, shared/dimensions.ts): a
 * filter the server would refuse is dropped from the URL instead of failing every card.
 */
import {
  ANALYTICS_PERIODS,
  type AnalyticsPeriod,
  DEFAULT_PERIOD,
  FILTER_OPS,
  type FilterOp,
  MAX_FILTER_VALUE_LENGTH,
  MAX_FILTERS,
  PERIOD_LABELS,
} from "../../../shared/analytics-constants.ts";
import { isDimension } from "../../../shared/dimensions.ts";

export const PRESET_PERIODS = ANALYTICS_PERIODS.map((value) => ({ value, label: PERIOD_LABELS[value] }));

export type PresetPeriod = AnalyticsPeriod;
export type Filter = { dimension: string; op: FilterOp; value: string };

export type DashboardState = {
  period: PresetPeriod | "custom";
  /** Inclusive local dates, only for the custom period. */
  from: string | null;
  to: string | null;
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

/** Parses one `f` param; null when it is not op:dimension:value with a known op and dimension and a value the server takes. */
export function parseFilter(raw: string): Filter | null {
  const firstColon = raw.indexOf(":");
  const secondColon = raw.indexOf(":", firstColon + 1);
  if (firstColon < 1 || secondColon < 0) return null;
  const op = raw.slice(0, firstColon) as FilterOp;
  const dimension = decodeDimension(raw.slice(firstColon + 1, secondColon));
  const value = raw.slice(secondColon + 1);
  if (!FILTER_OPS.includes(op) || !dimension || !isDimension(dimension)) return null;
  if (value.length > MAX_FILTER_VALUE_LENGTH) return null;
  return { op, dimension, value };
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
  return `${filter.op}:${encodeDimension(filter.dimension)}:${filter.value}`;
}

/** Reads the dashboard state from search params, falling back to defaults for anything missing or invalid. */
export function readDashboardState(search: SearchRecord, fallbackZone = viewerTimeZone()): DashboardState {
  const tzParam = first(search.tz);
  const timezone = tzParam && isValidTimeZone(tzParam) ? tzParam : fallbackZone;
  const filters: Filter[] = [];
  for (const raw of all(search.f)) {
    const filter = parseFilter(raw);
    if (filter && !filters.some((f) => sameFilter(f, filter))) filters.push(filter);
    if (filters.length === MAX_FILTERS) break;
  }
  const periodParam = first(search.period);
  const from = first(search.from);
  const to = first(search.to);
  if (periodParam === "custom" && from && to && isIsoDate(from) && isIsoDate(to)) {
    // A reversed range is read the way the person meant it.
    const [start, end] = from <= to ? [from, to] : [to, from];
    return { period: "custom", from: start, to: end, timezone, filters };
  }
  const preset = PRESET_PERIODS.find((p) => p.value === periodParam)?.value ?? DEFAULT_PERIOD;
  return { period: preset, from: null, to: null, timezone, filters };
}

export function sameFilter(a: Filter, b: Filter): boolean {
  return a.dimension === b.dimension && a.op === b.op && a.value === b.value;
}

/** The patch selecting a preset period (custom dates are dropped from the URL). */
export function presetPatch(period: PresetPeriod): SearchPatch {
  return { period, from: null, to: null };
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
  // Filtering a dimension again replaces its previous equality filter: "page is /a" then "page is /b" means /b.
  const kept = state.filters.filter((f) => !(f.dimension === filter.dimension && f.op === "eq" && filter.op === "eq"));
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
};

/** The common input of every analytics procedure for this state (the range is [from, to)). */
export function toAnalyticsRange(state: DashboardState): AnalyticsRange {
  const filters = state.filters.length ? state.filters.map((f) => ({ ...f })) : undefined;
  if (state.period === "custom" && state.from && state.to) {
    return {
      from: zonedMidnight(state.from, state.timezone).toISOString(),
      to: zonedMidnight(nextDay(state.to), state.timezone).toISOString(),
      timezone: state.timezone,
      filters,
    };
  }
  return { period: state.period === "custom" ? DEFAULT_PERIOD : state.period, timezone: state.timezone, filters };
}

/** The label of the selected period, e.g. "Last 7 days" or "Nov 1 – Nov 7, 2026". */
export function describePeriod(state: DashboardState): string {
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
