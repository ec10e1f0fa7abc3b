/**
 * Retention's intervals: local days, or local weeks starting Monday 00:00, in a time zone. Built on the day
 * boundaries of time-buckets.ts (which handle DST and half-hour zones), so a week across a DST change is 167 or 169
 * hours long, as the wall clock says, never a fixed 7 * 24 hours; and never the epoch-aligned weeks of the rollups.
 */
import type { RetentionInterval } from "../../../shared/retention.ts";
import { listBuckets, zoneOffsetMs } from "../time-buckets.ts";

const DAY_MS = 86_400_000;

/** The local weekday (0 Sunday .. 6 Saturday) of the instant `ms` in `zone`. */
function localWeekday(zone: string, ms: number): number {
  return new Date(ms + zoneOffsetMs(zone, ms)).getUTCDay();
}

/**
 * Interval starts from the one holding `from` (or the first one after it, for weeks) to the first start past
 * `until`: interval i is [starts[i], starts[i + 1]).
 */
export function listIntervals(from: number, until: number, interval: RetentionInterval, zone: string): number[] {
  if (interval === "day") return listBuckets(from, until, "day", zone);
  // A week ending past `until` needs the days up to its Monday: up to 7 more days.
  const days = listBuckets(from - 7 * DAY_MS, until + 8 * DAY_MS, "day", zone);
  const mondays = days.filter((start) => localWeekday(zone, start + DAY_MS / 2) === 1);
  const firstAfter = mondays.findIndex((start) => start > until);
  const holdingFrom = mondays.findLastIndex((start) => start <= from);
  return mondays.slice(Math.max(0, holdingFrom), firstAfter < 0 ? mondays.length : firstAfter + 1);
}

/** Index of the interval holding `t` (-1 before the first start, the last index past the end). */
export function intervalIndex(starts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
