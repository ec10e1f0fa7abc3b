/**
 * Per-visit evaluation over loaded segments (the visit metrics of shared/analytics.ts VisitTotals, and entry and exit
 * pages). A visit is a session num with at least one page_view in the group's range; with filters, only visits with
 * at least one event passing them count, and each is computed from ALL of its events in the range (the filter picks
 * visits, not events). Events are walked once per group into per-session slots (first and last time, page views,
 * "did something else", matched), stamped with the group's tag so the arrays need no clearing; segments are not in
 * time order among themselves (late events, compaction), so first and last are a min and a max.
 */
import { type Column, DICTIONARY } from "./column-codec.ts";
import { compareText, type LoadedSegment, type TimeGroup } from "./evaluate.ts";
import { type EngineFilter, filterMask } from "./filter-masks.ts";

export const PAGE_VIEW = "page_view";
/** Events that never keep a visit from bouncing: the page view itself and identity calls. */
const PASSIVE_EVENTS = new Set([PAGE_VIEW, "identify", "$identify"]);

/** A segment with its event_name column (and path, for entry and exit pages). */
export interface VisitSegment extends LoadedSegment {
  names: Column | null;
  paths?: Column | null;
}

export interface VisitFigures {
  visits: number;
  /** page_view events passing the filters, with or without a session. */
  pageviews: number;
  /** page_view events of the counted visits. */
  visitPageviews: number;
  bounces: number;
  /** Each visit's duration in ms, in no particular order. */
  durations: Float64Array;
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

const KIND_OTHER = 0;
const KIND_PAGE_VIEW = 1;
const KIND_PASSIVE = 2;

/** Code -> event kind of a segment's event_name column (a missing name is "other"). */
function eventKinds(names: Column | null): Uint8Array {
  if (names === null || names.kind !== DICTIONARY) return new Uint8Array(1);
  const kinds = new Uint8Array(names.entries.length + 1);
  names.entries.forEach((name, i) => {
    kinds[i + 1] = name === PAGE_VIEW ? KIND_PAGE_VIEW : PASSIVE_EVENTS.has(name) ? KIND_PASSIVE : KIND_OTHER;
  });
  return kinds;
}

function codesOf(column: Column | null | undefined): ArrayLike<number> | null {
  return column && column.kind === DICTIONARY ? column.codes : null;
}

/**
 * Per-session slots, one set per process (slotsFor), reused by every evaluation: allocating and zeroing them per call
 * (five arrays the size of the project's session space, 35 MB at 1.4 M sessions) cost more than the walk itself
 * over a short range. Every group or fold takes a fresh tag (nextTag), so the slots need no clearing.
 */
class SessionSlots {
  readonly stamp: Int32Array;
  readonly first: Float64Array;
  readonly last: Float64Array;
  readonly pageviews: Int32Array;
  /** bit 1: an event other than page_view/identify; bit 2: an event passing the filters. */
  readonly flags: Uint8Array;
  touched = new Int32Array(1024);
  count = 0;
  constructor(space: number) {
    this.stamp = new Int32Array(space + 1);
    this.first = new Float64Array(space + 1);
    this.last = new Float64Array(space + 1);
    this.pageviews = new Int32Array(space + 1);
    this.flags = new Uint8Array(space + 1);
  }
  /** Takes an event of session `s` at `at` into the group tagged `tag`, resetting the slots on first sight. */
  touch(s: number, tag: number, at: number): void {
    if (this.stamp[s] === tag) {
      if (at < this.first[s]!) this.first[s] = at;
      if (at > this.last[s]!) this.last[s] = at;
      return;
    }
    this.stamp[s] = tag;
    this.first[s] = at;
    this.last[s] = at;
    this.pageviews[s] = 0;
    this.flags[s] = 0;
    if (this.count === this.touched.length) {
      const grown = new Int32Array(this.touched.length * 2);
      grown.set(this.touched);
      this.touched = grown;
    }
    this.touched[this.count++] = s;
  }
}

let shared: SessionSlots | null = null;
let lastTag = 0;

/** The shared slots, grown (with headroom, as session nums keep coming) to hold session nums up to `space`. */
function slotsFor(space: number): SessionSlots {
  if (shared === null || shared.stamp.length <= space) {
    shared = new SessionSlots(Math.ceil(space * 1.25) + 1024);
    lastTag = 0;
  }
  return shared;
}

/** A tag no slot holds yet (the slots are renewed before the tags could wrap). */
function nextTag(): number {
  if (lastTag === 0x7fffffff) {
    shared!.stamp.fill(0);
    lastTag = 0;
  }
  return ++lastTag;
}

/**
 * A segment's events folded per session (a segment is immutable, so this is computed once and kept as long as its
 * session column stays cached): each distinct session num with its first and last time, page views and whether it
 * had an event other than page_view/identify, and the segment's page views (with or without a session). A segment
 * lying wholly inside a group adds these (one entry per distinct session instead of one per event). The folds are
 * not counted in the column cache's budget (about 25 bytes per distinct session of a segment).
 */
interface SegmentSessions {
  nums: Int32Array;
  first: Float64Array;
  last: Float64Array;
  views: Int32Array;
  /** 1: an event other than page_view/identify. */
  other: Uint8Array;
  pageviews: number;
}

const folded = new WeakMap<Int32Array, SegmentSessions>();

function foldSegment(segment: VisitSegment, slots: SessionSlots, tag: number): SegmentSessions {
  const sessions = segment.sessions!;
  const known = folded.get(sessions);
  if (known) return known;
  const kinds = eventKinds(segment.names);
  const codes = codesOf(segment.names);
  const ts = segment.ts;
  const { stamp, first, last, flags } = slots;
  const views = slots.pageviews;
  slots.count = 0;
  let pageviews = 0;
  for (let i = 0; i < ts.length; i++) {
    const kind = codes === null ? KIND_OTHER : kinds[codes[i]!]!;
    if (kind === KIND_PAGE_VIEW) pageviews++;
    const s = sessions[i]!;
    if (s < 0) continue;
    // Slots are in time order within a segment: the first sight is the first, every later one the last so far.
    if (stamp[s] !== tag) slots.touch(s, tag, ts[i]!);
    else last[s] = ts[i]!;
    if (kind === KIND_PAGE_VIEW) views[s]!++;
    else if (kind === KIND_OTHER) flags[s]! |= 1;
  }
  const n = slots.count;
  const summary: SegmentSessions = {
    nums: slots.touched.slice(0, n),
    first: new Float64Array(n),
    last: new Float64Array(n),
    views: new Int32Array(n),
    other: new Uint8Array(n),
    pageviews,
  };
  for (let k = 0; k < n; k++) {
    const s = summary.nums[k]!;
    summary.first[k] = first[s]!;
    summary.last[k] = last[s]!;
    summary.views[k] = views[s]!;
    summary.other[k] = flags[s]! & 1;
  }
  folded.set(sessions, summary);
  return summary;
}

/** Adds a folded segment's sessions to the group tagged `tag`. */
function addFolded(summary: SegmentSessions, slots: SessionSlots, tag: number): void {
  const { stamp, first, last, flags } = slots;
  const views = slots.pageviews;
  const { nums } = summary;
  for (let k = 0; k < nums.length; k++) {
    const s = nums[k]!;
    const a = summary.first[k]!;
    const b = summary.last[k]!;
    if (stamp[s] !== tag) {
      slots.touch(s, tag, a);
      last[s] = b;
    } else {
      if (a < first[s]!) first[s] = a;
      if (b > last[s]!) last[s] = b;
    }
    views[s]! += summary.views[k]!;
    flags[s]! |= summary.other[k]!;
  }
}

/**
 * The visit figures of each group: one walk per group over the segments overlapping it, a segment wholly inside the
 * group by its folded sessions (with filters, plus a walk of its mask to mark the sessions with a matching event).
 */
export function visitFigures(
  segments: readonly VisitSegment[],
  filters: readonly EngineFilter[],
  groups: readonly TimeGroup[],
  sessionSpace: number,
): VisitFigures[] {
  const slots = slotsFor(sessionSpace);
  const filtered = filters.length > 0;
  return groups.map((group) => {
    const tag = nextTag();
    let pageviews = 0;
    const summaries: SegmentSessions[] = [];
    for (const segment of segments) {
      if (segment.info.minTs >= group.from && segment.info.maxTs < group.to && segment.sessions) {
        const known = folded.get(segment.sessions);
        summaries.push(known ?? foldSegment(segment, slots, nextTag()));
      }
    }
    slots.count = 0;
    for (const summary of summaries) {
      addFolded(summary, slots, tag);
      if (!filtered) pageviews += summary.pageviews;
    }
    for (const segment of segments) {
      if (segment.info.maxTs < group.from || segment.info.minTs >= group.to) continue;
      const inside = segment.info.minTs >= group.from && segment.info.maxTs < group.to;
      if (inside && !filtered) continue;
      const lo = lowerBound(segment.ts, group.from);
      const hi = lowerBound(segment.ts, group.to);
      if (lo >= hi) continue;
      const mask = filterMask(filters, segment.filterColumns, lo, hi);
      const kinds = eventKinds(segment.names);
      const codes = codesOf(segment.names);
      const sessions = segment.sessions!;
      const ts = segment.ts;
      // The slot arrays as locals, and the first sight inlined: this loop is the whole cost of the read.
      const { stamp, first, last, flags } = slots;
      const views = slots.pageviews;
      if (inside) {
        // Folded already: only which sessions have a matching event, and the matching page views.
        for (let i = lo; i < hi; i++) {
          if (mask !== null && mask[i - lo] === 0) continue;
          if (codes !== null && kinds[codes[i]!] === KIND_PAGE_VIEW) pageviews++;
          const s = sessions[i]!;
          if (s >= 0) flags[s]! |= 2;
        }
        continue;
      }
      for (let i = lo; i < hi; i++) {
        const kind = codes === null ? KIND_OTHER : kinds[codes[i]!]!;
        const passes = mask === null || mask[i - lo] !== 0;
        if (passes && kind === KIND_PAGE_VIEW) pageviews++;
        const s = sessions[i]!;
        if (s < 0) continue;
        const at = ts[i]!;
        if (stamp[s] !== tag) {
          slots.touch(s, tag, at);
        } else if (at > last[s]!) {
          // Slots are in time order within a segment: an event is earlier than the first only across segments.
          last[s] = at;
        } else if (at < first[s]!) {
          first[s] = at;
        }
        if (kind === KIND_PAGE_VIEW) views[s]!++;
        else if (kind === KIND_OTHER) flags[s]! |= 1;
        if (passes) flags[s]! |= 2;
      }
    }
    let visits = 0;
    let visitPageviews = 0;
    let bounces = 0;
    const durations = new Float64Array(slots.count);
    for (let k = 0; k < slots.count; k++) {
      const s = slots.touched[k]!;
      const views = slots.pageviews[s]!;
      const flags = slots.flags[s]!;
      if (views === 0 || (filtered && (flags & 2) === 0)) continue;
      durations[visits++] = slots.last[s]! - slots.first[s]!;
      visitPageviews += views;
      if (views === 1 && (flags & 1) === 0) bounces++;
    }
    return { visits, pageviews, visitPageviews, bounces, durations: durations.subarray(0, visits) };
  });
}

export interface PageVisits {
  value: string;
  visits: number;
}

/**
 * Entry (first) or exit (last) page of each visit in `group`, page views ordered by time then path in code-point
 * order; the top `limit` paths by visits, then path. A page view without a path is the value "" (kept only with
 * `includeMissing`).
 */
export function entryExitPages(
  segments: readonly VisitSegment[],
  filters: readonly EngineFilter[],
  group: TimeGroup,
  sessionSpace: number,
  side: "entry" | "exit",
  limit: number,
  includeMissing: boolean,
): PageVisits[] {
  // Paths numbered across segments by string; id 0 is "" (no path).
  const values: string[] = [""];
  const idOf = new Map<string, number>([["", 0]]);
  const stamp = new Int32Array(sessionSpace + 1);
  const at = new Float64Array(sessionSpace + 1);
  const page = new Int32Array(sessionSpace + 1).fill(-1);
  const matched = new Uint8Array(sessionSpace + 1);
  const touched: number[] = [];
  const filtered = filters.length > 0;
  const exit = side === "exit";
  for (const segment of segments) {
    if (segment.info.maxTs < group.from || segment.info.minTs >= group.to) continue;
    const lo = lowerBound(segment.ts, group.from);
    const hi = lowerBound(segment.ts, group.to);
    if (lo >= hi) continue;
    const mask = filterMask(filters, segment.filterColumns, lo, hi);
    const kinds = eventKinds(segment.names);
    const codes = codesOf(segment.names);
    const pathCodes = codesOf(segment.paths);
    const pathIds = new Int32Array((segment.paths?.kind === DICTIONARY ? segment.paths.entries.length : 0) + 1);
    if (segment.paths?.kind === DICTIONARY) {
      segment.paths.entries.forEach((entry, i) => {
        let id = idOf.get(entry);
        if (id === undefined) {
          id = values.length;
          values.push(entry);
          idOf.set(entry, id);
        }
        pathIds[i + 1] = id;
      });
    }
    const sessions = segment.sessions!;
    const ts = segment.ts;
    for (let i = lo; i < hi; i++) {
      const s = sessions[i]!;
      if (s < 0) continue;
      if (stamp[s] === 0) {
        stamp[s] = 1;
        touched.push(s);
      }
      if (mask === null || mask[i - lo] !== 0) matched[s] = 1;
      if (codes === null || kinds[codes[i]!] !== KIND_PAGE_VIEW) continue;
      const time = ts[i]!;
      const id = pathCodes === null ? 0 : pathIds[pathCodes[i]!]!;
      const current = page[s]!;
      if (current < 0) {
        at[s] = time;
        page[s] = id;
        continue;
      }
      const order = time - at[s]! || compareText(values[id]!, values[current]!);
      if (exit ? order > 0 : order < 0) {
        at[s] = time;
        page[s] = id;
      }
    }
  }
  const counts = new Int32Array(values.length);
  for (const s of touched) {
    const id = page[s]!;
    if (id < 0 || (filtered && matched[s] === 0)) continue;
    counts[id]!++;
  }
  const rows: PageVisits[] = [];
  for (let id = includeMissing ? 0 : 1; id < values.length; id++) {
    if (counts[id]! > 0) rows.push({ value: values[id]!, visits: counts[id]! });
  }
  return rows.sort((a, b) => b.visits - a.visits || compareText(a.value, b.value)).slice(0, limit);
}

/**
 * The median of `values` (the mean of the two middle ones for an even count), 0 when empty. Reorders in place: a
 * selection (Hoare's, linear on average), not a sort, which took most of the time of an overview over millions of
 * visits.
 */
export function medianOf(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const mid = n >>> 1;
  const upper = selectNth(values, mid);
  if (n % 2) return upper;
  // Everything before `mid` is now <= values[mid]: the lower middle is their maximum.
  let lower = values[0]!;
  for (let i = 1; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

/** Reorders `a` so that a[k] is its k-th smallest, nothing larger before it and nothing smaller after; returns it. */
function selectNth(a: Float64Array, k: number): number {
  let l = 0;
  let r = a.length - 1;
  while (l < r) {
    // The median of three as the pivot: a value of the range, so both scans stop inside it.
    const x = median3(a[l]!, a[(l + r) >>> 1]!, a[r]!);
    let i = l;
    let j = r;
    do {
      while (a[i]! < x) i++;
      while (x < a[j]!) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) l = i;
    if (k < i) r = j;
  }
  return a[k]!;
}

function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
