/**
 * Bucket boundaries in a time zone, computed here with Intl so the zone name never reaches SQL. Day buckets start at
 * local midnight (also in +05:30/+05:45 zones and across DST changes, and at 01:00 where a change skips midnight,
 * as in Santiago and Havana); hour buckets at local hour starts (also across 30-minute changes, as on Lord Howe).
 * Hand-written rather than a date library: a few Intl calls per bucket, and the tests hold it to Intl minute by minute.
 */
import type { Granularity } from "../../shared/analytics.ts";

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
function localParts(
  zone: string,
  ms: number,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
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
  let start = startOfLocalHour(zone, from);
  let offset = zoneOffsetMs(zone, start);
  boundaries.push(start);
  while (start < to) {
    const probe = start + HOUR_MS;
    const probeOffset = zoneOffsetMs(zone, probe);
    // The same offset an hour on means no change in between (they come at most hourly): the next start is the next
    // whole-hour reading, one Intl call per bucket. Otherwise the next start is within the hour, or within 1.5 hours
    // after an hour that a change of offset lengthened.
    let next = probeOffset === offset ? alignToHour(probe, probeOffset) : startOfLocalHour(zone, probe);
    if (next <= start) next = startOfLocalHour(zone, start + HOUR_MS + HOUR_MS / 2);
    offset = probeOffset === offset ? offset : zoneOffsetMs(zone, next);
    start = next;
    boundaries.push(start);
  }
  return boundaries;
}

/** The last instant at or before `ms` where the wall clock reads a whole hour, at offset `offset`. */
const alignToHour = (ms: number, offset: number) => ms - ((((ms + offset) % HOUR_MS) + HOUR_MS) % HOUR_MS);

/**
 * Start of the local hour holding `ms`: the last instant at or before it where the wall clock read a whole hour, or
 * where a change of offset jumped into a new hour (Lord Howe Island's 30-minute change skips 02:00 and starts the
 * hour at 02:30). Offsets change at most once an hour, so one look an hour back tells whether one did.
 */
function startOfLocalHour(zone: string, ms: number): number {
  const offset = zoneOffsetMs(zone, ms);
  const aligned = alignToHour(ms, offset);
  if (zoneOffsetMs(zone, ms - HOUR_MS) === offset) return aligned;
  const change = offsetChangeBetween(zone, ms - HOUR_MS, ms);
  if (aligned >= change) return aligned;
  // The change came after the last whole-hour reading: it starts a new hour if it jumped into one, else the hour
  // that was running goes on (01:59 -> 01:30), and it started before the change.
  const justBefore = change - 1000;
  return localParts(zone, change).hour !== localParts(zone, justBefore).hour
    ? change
    : startOfLocalHour(zone, justBefore);
}

/** The first whole second in (from, to] with the offset of `to`, given that `from` has another. */
function offsetChangeBetween(zone: string, from: number, to: number): number {
  const target = zoneOffsetMs(zone, to);
  let before = Math.floor(from / 1000);
  let after = Math.floor(to / 1000);
  while (after - before > 1) {
    const mid = Math.floor((before + after) / 2);
    if (zoneOffsetMs(zone, mid * 1000) === target) after = mid;
    else before = mid;
  }
  return after * 1000;
}
