/**
 * Bucket boundaries in a time zone, computed here with Intl so the zone name never reaches SQL. Day buckets start at
 * local midnight (also in +05:30/+05:45 zones and across DST changes); hour buckets at local hour starts.
 */
import type { Granularity } from "../../../shared/analytics.ts";

const HOUR_MS = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Local calendar fields of the instant `ms` in `zone`. */
function localParts(zone: string, ms: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(ms))) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year!,
    month: fields.month!,
    day: fields.day!,
    hour: fields.hour!,
    minute: fields.minute!,
    second: fields.second!,
  };
}

/** The zone's offset from UTC at `ms`, in milliseconds (e.g. +05:30 -> 19,800,000). */
export function zoneOffsetMs(zone: string, ms: number): number {
  const p = localParts(zone, ms);
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - wholeSecond;
}

/** The instant local midnight of year-month-day happens in `zone` (the first instant of that day). */
function localMidnight(zone: string, year: number, month: number, day: number): number {
  const wall = Date.UTC(year, month - 1, day);
  let guess = wall - zoneOffsetMs(zone, wall);
  // The offset at the guess may differ from the one at the wall-clock reading (DST); a second pass settles it.
  guess = wall - zoneOffsetMs(zone, guess);
  // Where midnight itself is skipped by a DST change, the day starts at the first instant whose date is that day.
  const p = localParts(zone, guess);
  if (p.year !== year || p.month !== month || p.day !== day) guess += HOUR_MS;
  return guess;
}

/** Start of the local day holding `ms`. */
function startOfLocalDay(zone: string, ms: number): number {
  const p = localParts(zone, ms);
  return localMidnight(zone, p.year, p.month, p.day);
}

/**
 * Bucket starts covering [from, to), plus the end of the last bucket. Bucket i is [starts[i], starts[i + 1]) with
 * starts[length] = end; the first starts at or before `from`, the last ends at or after `to`.
 */
export function listBuckets(from: number, to: number, granularity: Granularity, zone: string): number[] {
  const boundaries: number[] = [];
  if (granularity === "day") {
    let start = startOfLocalDay(zone, from);
    boundaries.push(start);
    while (start < to) {
      // Noon of the day avoids DST edges when stepping to the next calendar day.
      const p = localParts(zone, start + 12 * HOUR_MS);
      const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
      start = localMidnight(zone, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
      boundaries.push(start);
    }
    return boundaries;
  }
  // Local hours start where (instant + offset) is a whole hour; offsets move in whole hours or keep the alignment
  // for the zones where they are not whole (+05:30 stays at :30 UTC).
  const aligned = (ms: number) => ms - (((ms + zoneOffsetMs(zone, ms)) % HOUR_MS) + HOUR_MS) % HOUR_MS;
  let start = aligned(from);
  boundaries.push(start);
  while (start < to) {
    start = aligned(start + HOUR_MS + HOUR_MS / 2);
    boundaries.push(start);
  }
  return boundaries;
}
