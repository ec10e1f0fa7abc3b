/**
 * analytics.retention over the query engine's segments (semantics: shared/retention.ts, the README's "Retention").
 * One scan from the earliest storable date: the first pass finds each person's first-ever start event (so events
 * before the range keep people out of its cohorts), the second marks, per person, the intervals after their cohort's
 * in which they returned, as one bit each (periods <= 30 fit an Int32). Per-person arrays are indexed by person num
 * (user nums mapped through the identity links), so linked ids count once and nothing is hashed. Events at or after
 * `now` count for nothing: the current interval counts up to now.
 *
 * Null while the engine does not hold all the project's events (the upgrade backfill): the router answers
 * PRECONDITION_FAILED then, since a first-ever cohort needs all of history.
 */
import { resolveRange } from "../../../shared/analytics.ts";
import { EARLIEST_RANGE_DATE } from "../../../shared/analytics-constants.ts";
import type { ParsedRetentionInput, Retention, RetentionCohort } from "../../../shared/retention.ts";
import type { Database } from "../../db/client.ts";
import { DICTIONARY } from "../engine/column-codec.ts";
import { filterMask } from "../engine/filter-masks.ts";
import type { Members, QueryEngine, ScannedSegment } from "../engine/query-engine.ts";
import { intervalIndex, listIntervals } from "./retention-intervals.ts";

const DAY_MS = 86_400_000;
const EARLIEST_MS = Date.parse(EARLIEST_RANGE_DATE);
/** Matches every event (no event name asked for). */
const ANY = -1;

export async function getRetention(
  db: Database,
  input: ParsedRetentionInput,
  now: number,
  engine: QueryEngine,
): Promise<Retention | null> {
  const { from, to } = resolveRange(input, now);
  const zone = input.timezone ?? "UTC";
  const length = input.interval === "week" ? 7 * DAY_MS : DAY_MS;
  const horizon = Math.min(now, to.getTime() + (input.periods + 2) * length);
  const starts = listIntervals(from.getTime(), Math.max(horizon, from.getTime()), input.interval, zone);
  const cohortIndexes: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    if (start >= from.getTime() && start < to.getTime() && start <= now) cohortIndexes.push(i);
  }
  if (cohortIndexes.length === 0) return { cohorts: [] };
  const first = cohortIndexes[0]!;
  const last = cohortIndexes[cohortIndexes.length - 1]!;
  const end = Math.min(now, starts[Math.min(starts.length - 1, last + input.periods + 1)]!);
  const filters = input.filters ?? [];
  const counted = await engine.scan(
    db,
    input.projectId,
    { from: EARLIEST_MS, to: end },
    filters,
    ["event_name"],
    (segments, members) =>
      countCohorts(segments, members, {
        filters,
        starts,
        firstCohort: first,
        lastCohort: last,
        periods: input.periods,
        end,
        startEvent: input.startEvent,
        returnEvent: input.returnEvent,
      }),
  );
  if (counted === null) return null;
  const cohorts: RetentionCohort[] = cohortIndexes.map((i) => {
    const returned = counted[i - first]!;
    let present = 0;
    while (present <= input.periods && i + present < starts.length && starts[i + present]! <= now) present++;
    return { start: new Date(starts[i]!).toISOString(), size: returned[0]!, returned: returned.slice(0, present) };
  });
  return { cohorts };
}

interface CohortQuestion {
  filters: ParsedRetentionInput["filters"] & object;
  starts: number[];
  firstCohort: number;
  lastCohort: number;
  periods: number;
  end: number;
  startEvent: string | undefined;
  returnEvent: string | undefined;
}

/** The code of event name `name` in a segment: ANY for no name, 0 (matches no slot) when the segment lacks it. */
function eventCode(segment: ScannedSegment, name: string | undefined): number {
  if (name === undefined) return ANY;
  const column = segment.column("event_name");
  if (!column || column.kind !== DICTIONARY) return 0;
  return column.entries.indexOf(name) + 1;
}

function eventCodes(segment: ScannedSegment) {
  const column = segment.column("event_name");
  return column && column.kind === DICTIONARY ? column.codes : null;
}

/** Per cohort (firstCohort..lastCohort): [size, returned after 1 interval, ..., after `periods`]. */
export function countCohorts(segments: ScannedSegment[], members: Members, q: CohortQuestion): number[][] {
  const space = members.userSpace + 1;
  const personOf = members.personOf;
  // Only the interval of a person's first start matters (its cohort), so a segment lying inside one interval (and
  // before `end`) contributes that interval for each distinct user of its matching events: wholeInterval() walks
  // only those (cached per segment), the other segments walk their events and keep the earliest time.
  const firstStart = new Float64Array(space).fill(Number.POSITIVE_INFINITY);
  const firstInterval = new Int32Array(space).fill(NO_INTERVAL);
  const masks = segments.map((segment) => filterMask(q.filters, segment.filterColumns, 0, segment.ts.length));
  const unfiltered = q.filters.length === 0;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    const code = eventCode(segment, q.startEvent);
    if (code === 0) continue;
    const codes = eventCodes(segment);
    const { ts } = segment;
    const users = segment.users!;
    const within = unfiltered ? wholeInterval(ts, q.starts, q.end) : NO_INTERVAL;
    if (within !== NO_INTERVAL) {
      const distinct = distinctUsers(users, codes, code, space);
      for (let d = 0; d < distinct.length; d++) {
        const user = distinct[d]!;
        const person = personOf === null ? user : (personOf[user] ?? user);
        if (within < firstInterval[person]!) firstInterval[person] = within;
      }
      continue;
    }
    const mask = masks[s]!;
    for (let i = 0; i < ts.length && ts[i]! < q.end; i++) {
      if (mask && mask[i] === 0) continue;
      if (code !== ANY && codes?.[i] !== code) continue;
      const user = users[i]!;
      if (user < 0) continue;
      const person = personOf === null ? user : (personOf[user] ?? user);
      if (ts[i]! < firstStart[person]!) firstStart[person] = ts[i]!;
    }
  }
  const cohortCount = q.lastCohort - q.firstCohort + 1;
  const counts = Array.from({ length: cohortCount }, () => new Array<number>(q.periods + 1).fill(0));
  // Cohort interval index per person, -1 for none (first start outside the cohorts, or never).
  const cohortOf = new Int32Array(space).fill(-1);
  for (let person = 0; person < space; person++) {
    const at = firstStart[person]!;
    // intervalIndex is monotonic in time: the earlier of the two firsts has the lower interval.
    let index = at === Number.POSITIVE_INFINITY ? NO_INTERVAL : intervalIndex(q.starts, at);
    if (firstInterval[person]! < index) index = firstInterval[person]!;
    if (index === NO_INTERVAL) continue;
    if (index < q.firstCohort || index > q.lastCohort) continue;
    cohortOf[person] = index;
    counts[index - q.firstCohort]![0]!++;
  }
  const returnedBits = new Int32Array(space);
  const returnsFrom = q.starts[q.firstCohort + 1] ?? q.end;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    const { ts } = segment;
    if (segment.info.maxTs < returnsFrom) continue;
    const code = eventCode(segment, q.returnEvent);
    if (code === 0) continue;
    const codes = eventCodes(segment);
    const users = segment.users!;
    const within = unfiltered ? wholeInterval(ts, q.starts, q.end) : NO_INTERVAL;
    if (within !== NO_INTERVAL) {
      // Every event of the segment is in interval `within`: a returning person needs one of them, whichever.
      if (within <= q.firstCohort) continue; // before every cohort's first return interval (k >= 1)
      const distinct = distinctUsers(users, codes, code, space);
      for (let d = 0; d < distinct.length; d++) {
        const user = distinct[d]!;
        const person = personOf === null ? user : (personOf[user] ?? user);
        const cohort = cohortOf[person]!;
        if (cohort < 0) continue;
        const k = within - cohort;
        if (k >= 1 && k <= q.periods) returnedBits[person]! |= 1 << (k - 1);
      }
      continue;
    }
    const mask = masks[s]!;
    let i = lowerBound(ts, returnsFrom);
    let interval = i < ts.length ? intervalIndex(q.starts, ts[i]!) : 0;
    for (; i < ts.length && ts[i]! < q.end; i++) {
      if (mask && mask[i] === 0) continue;
      if (code !== ANY && codes?.[i] !== code) continue;
      const user = users[i]!;
      if (user < 0) continue;
      const person = personOf === null ? user : (personOf[user] ?? user);
      const cohort = cohortOf[person]!;
      if (cohort < 0) continue;
      while (interval + 1 < q.starts.length && q.starts[interval + 1]! <= ts[i]!) interval++;
      const k = interval - cohort;
      if (k >= 1 && k <= q.periods) returnedBits[person]! |= 1 << (k - 1);
    }
  }
  for (let person = 0; person < space; person++) {
    const bits = returnedBits[person]!;
    if (bits === 0) continue;
    const row = counts[cohortOf[person]! - q.firstCohort]!;
    for (let k = 1; k <= q.periods; k++) if (bits & (1 << (k - 1))) row[k]!++;
  }
  return counts;
}

/** No interval (a first start not seen yet; or a segment not inside one interval). */
const NO_INTERVAL = 0x7fffffff;

/**
 * The interval holding every event of a segment (slots sorted by time) when all lie in one interval of `starts`
 * (or all before the first start: -1) and before `end`; NO_INTERVAL otherwise (the caller walks the events).
 */
function wholeInterval(ts: Float64Array, starts: readonly number[], end: number): number {
  if (ts.length === 0) return NO_INTERVAL;
  const last = ts[ts.length - 1]!;
  if (last >= end) return NO_INTERVAL;
  const index = intervalIndex(starts, ts[0]!);
  if (index + 1 >= starts.length) return NO_INTERVAL; // the last interval is open-ended here
  return last < starts[index + 1]! ? index : NO_INTERVAL;
}

/**
 * The distinct user nums (>= 0) of a segment's events with event-name code `code` (ANY: every event), cached per
 * segment: a cached users column is the same array for as long as the segment stays cached, and segments never
 * change (segment-store.ts). Users, not people: the person map may grow between calls, so callers map them.
 */
const distinctCache = new WeakMap<Int32Array, Map<number, Int32Array>>();
let stamps = new Int32Array(0);
let stampTag = 0;
function distinctUsers(users: Int32Array, codes: ArrayLike<number> | null, code: number, space: number): Int32Array {
  let byCode = distinctCache.get(users);
  if (!byCode) {
    byCode = new Map();
    distinctCache.set(users, byCode);
  }
  const cached = byCode.get(code);
  if (cached) return cached;
  let max = space;
  for (let i = 0; i < users.length; i++) if (users[i]! >= max) max = users[i]! + 1;
  if (stamps.length < max) {
    stamps = new Int32Array(Math.ceil(max * 1.25));
    stampTag = 0;
  }
  if (stampTag === 0x7ffffffe) {
    stamps.fill(0);
    stampTag = 0;
  }
  const tag = ++stampTag;
  const out: number[] = [];
  for (let i = 0; i < users.length; i++) {
    const user = users[i]!;
    if (user < 0 || stamps[user] === tag) continue;
    if (code !== ANY && codes?.[i] !== code) continue;
    stamps[user] = tag;
    out.push(user);
  }
  const distinct = Int32Array.from(out);
  byCode.set(code, distinct);
  return distinct;
}

function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
