/**
 * The engine's evaluation over loaded segments, all in memory: per-group totals (events, exact distinct sessions and
 * people), per-value counts with exact distinct sessions and people for the top values, and member sets. Segments
 * are sorted by time, so a group's events in a segment are one slot window found by binary search; filters are byte
 * masks (filter-masks.ts); distinct counts use stamp arrays indexed by num (one Int32 per session or person ever
 * seen, stamped with the group's tag), so counting is one pass with no hashing.
 *
 * Hand-written loops over typed arrays, for speed (bench/README.md, "Query engine").
 */
import type { CodeArray, Column } from "./column-codec.ts";
import { type EngineFilter, filterMask } from "./filter-masks.ts";
import type { SegmentInfo } from "./segment-store.ts";

export interface TimeGroup {
  from: number;
  to: number;
}

/** A segment's loaded columns: time, the filters' columns, and what the question reads. */
export interface LoadedSegment {
  info: SegmentInfo;
  ts: Float64Array;
  filterColumns: Array<Column | null>;
  sessions: Int32Array | null;
  users: Int32Array | null;
  /** The grouping dimension's column (byValue), ABSENT (null) when the segment lacks it. */
  values: Column | null;
}

export interface Members {
  /** user num -> person num (its canonical user's num, or itself), or null when no link exists. */
  personOf: Int32Array | null;
  sessionSpace: number;
  userSpace: number;
}

export interface GroupTotals {
  events: number;
  sessions: number;
  people: number;
}

/** First slot whose time is >= t. */
export function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Masks per segment over the window of the union of the groups (computed once, shared by every group). */
class MaskedSegments {
  readonly windows: Array<{ lo: number; hi: number; mask: Uint8Array | null }>;
  constructor(
    readonly segments: readonly LoadedSegment[],
    filters: readonly EngineFilter[],
    span: TimeGroup,
  ) {
    this.windows = segments.map((segment) => {
      const lo = lowerBound(segment.ts, span.from);
      const hi = lowerBound(segment.ts, span.to);
      return { lo, hi, mask: filterMask(filters, segment.filterColumns, lo, hi) };
    });
  }

  /** Calls `visit(segmentIndex, lo, hi, mask, maskOffset)` for each segment part inside [from, to). */
  each(group: TimeGroup, visit: (s: number, lo: number, hi: number, mask: Uint8Array | null, offset: number) => void) {
    for (let s = 0; s < this.segments.length; s++) {
      const segment = this.segments[s]!;
      if (segment.info.maxTs < group.from || segment.info.minTs >= group.to) continue;
      const window = this.windows[s]!;
      const lo = Math.max(window.lo, lowerBound(segment.ts, group.from));
      const hi = Math.min(window.hi, lowerBound(segment.ts, group.to));
      if (lo < hi) visit(s, lo, hi, window.mask, window.lo);
    }
  }
}

function spanOf(groups: readonly TimeGroup[]): TimeGroup {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const group of groups) {
    if (group.from < from) from = group.from;
    if (group.to > to) to = group.to;
  }
  return { from, to };
}

/**
 * Stamp arrays (stamp[num] === tag: "already counted for the group tagged `tag`"), reused across reads (a read's
 * evaluation is synchronous, so two never share them at once): tags only grow, so a stale stamp from an earlier read
 * never equals a new tag, and nothing is cleared between reads. Reusing them saves allocating and zeroing two arrays
 * of a few MB per read.
 */
const shared = { tag: 0, sessions: new Int32Array(0), people: new Int32Array(0) };
const MAX_TAG = 2 ** 31 - 2;

export class Stamps {
  readonly sessions: Int32Array;
  readonly people: Int32Array;
  constructor(members: Members, withSessions: boolean, withPeople: boolean) {
    if (withSessions && shared.sessions.length <= members.sessionSpace) {
      shared.sessions = new Int32Array(Math.ceil((members.sessionSpace + 1) * 1.25));
      shared.people.fill(0);
      shared.tag = 0;
    }
    if (withPeople && shared.people.length <= members.userSpace) {
      shared.people = new Int32Array(Math.ceil((members.userSpace + 1) * 1.25));
      shared.sessions.fill(0);
      shared.tag = 0;
    }
    this.sessions = shared.sessions;
    this.people = shared.people;
  }
  next(): number {
    if (shared.tag >= MAX_TAG) {
      shared.sessions.fill(0);
      shared.people.fill(0);
      shared.tag = 0;
    }
    return ++shared.tag;
  }
}

/** Events, distinct sessions and distinct people of each group among the events passing the filters. */
export function groupTotals(
  segments: readonly LoadedSegment[],
  filters: readonly EngineFilter[],
  groups: readonly TimeGroup[],
  members: Members,
  want: { sessions: boolean; people: boolean },
): GroupTotals[] {
  if (groups.length === 0) return [];
  const masked = new MaskedSegments(segments, filters, spanOf(groups));
  const stamps = new Stamps(members, want.sessions, want.people);
  const personOf = members.personOf;
  return groups.map((group) => {
    const tag = stamps.next();
    const totals: GroupTotals = { events: 0, sessions: 0, people: 0 };
    masked.each(group, (s, lo, hi, mask, offset) => {
      const segment = segments[s]!;
      const sessions = want.sessions ? segment.sessions! : null;
      const users = want.people ? segment.users! : null;
      const sessionStamp = stamps.sessions;
      const personStamp = stamps.people;
      let events = 0;
      let distinctSessions = 0;
      let distinctPeople = 0;
      for (let i = lo; i < hi; i++) {
        if (mask !== null && mask[i - offset] === 0) continue;
        events++;
        if (sessions !== null) {
          const num = sessions[i]!;
          if (num >= 0 && sessionStamp[num] !== tag) {
            sessionStamp[num] = tag;
            distinctSessions++;
          }
        }
        if (users !== null) {
          const user = users[i]!;
          if (user >= 0) {
            const person = personOf === null ? user : personOf[user]!;
            if (personStamp[person] !== tag) {
              personStamp[person] = tag;
              distinctPeople++;
            }
          }
        }
      }
      totals.events += events;
      totals.sessions += distinctSessions;
      totals.people += distinctPeople;
    });
    return totals;
  });
}

export interface ValueRow extends GroupTotals {
  value: string;
  /** Of `events`, those named page_view: only when asked for (TopValueOptions.names). */
  pageviews?: number;
}

/** What topValues adds beyond events, sessions and people. */
export interface TopValueOptions {
  /** Each segment's event_name column, by segment index: rows then carry `pageviews`. */
  names?: ReadonlyArray<Column | null>;
  /** Rank the events lacking the value too, as the value "". */
  includeMissing?: boolean;
  /** Rank by page views (needs `names`) instead of events; ties by events, then value. */
  byPageviews?: boolean;
}

/** Code-point order, as PostgreSQL's C collation sorts text (UTF-16 order differs past the BMP). */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The code of page_view in a segment's event_name column, -1 when it holds none. */
function pageViewCode(names: Column | null | undefined): number {
  if (names?.kind !== 3) return -1;
  const at = names.entries.indexOf("page_view");
  return at < 0 ? -1 : at + 1;
}

/**
 * The `limit` most frequent values of the grouping column among the events in `group` that pass the filters (missing
 * values left out unless `options.includeMissing`, then the value ""), ordered by events, then value; with exact
 * distinct sessions and people of each row if asked, and page views with `options.names`.
 */
export function topValues(
  segments: readonly LoadedSegment[],
  filters: readonly EngineFilter[],
  group: TimeGroup,
  members: Members,
  limit: number,
  want: { sessions: boolean; people: boolean },
  /** The value pool's size when the columns are pooled (ids below it), else 0. */
  valueSpace = 0,
  options: TopValueOptions = {},
): ValueRow[] {
  const masked = new MaskedSegments(segments, filters, group);
  const countsBySegment: Array<Int32Array | null> = segments.map(() => null);
  const includeMissing = options.includeMissing === true;
  const withPageviews = options.names !== undefined;
  // Pooled dictionaries (segment-store.ts ValuePool) add up by value id in one array; others by string in a Map.
  const pooled =
    valueSpace > 0 &&
    segments.every((segment) => segment.values === null || segment.values.kind !== 3 || segment.values.ids);
  const totalsById = pooled ? new Int32Array(valueSpace) : null;
  const viewsById = pooled && withPageviews ? new Int32Array(valueSpace) : null;
  const touched: Array<[string, number]> = [];
  const totals = new Map<string, number>();
  const views = new Map<string, number>();
  let missing = 0;
  let missingViews = 0;
  masked.each(group, (s, lo, hi, mask, offset) => {
    const column = segments[s]!.values;
    // A segment without the column (ABSENT) has every event missing the value.
    if (column !== null && column.kind !== 3) return;
    if (column === null && !includeMissing) return;
    const codes: CodeArray | null = column === null ? null : column.codes;
    const entries = column === null ? [] : column.entries;
    const counts = new Int32Array(entries.length + 1);
    const names = withPageviews ? options.names![s] : null;
    const viewCode = pageViewCode(names);
    const nameCodes = viewCode > 0 && names && names.kind === 3 ? names.codes : null;
    const viewCounts = withPageviews ? new Int32Array(entries.length + 1) : null;
    for (let i = lo; i < hi; i++) {
      if (mask !== null && mask[i - offset] === 0) continue;
      const code = codes === null ? 0 : codes[i]!;
      counts[code]!++;
      if (nameCodes !== null && nameCodes[i] === viewCode) viewCounts![code]!++;
    }
    countsBySegment[s] = counts;
    missing += counts[0]!;
    if (viewCounts !== null) missingViews += viewCounts[0]!;
    const ids = column === null ? undefined : column.ids;
    for (let code = 1; code < counts.length; code++) {
      const count = counts[code]!;
      if (count === 0) continue;
      if (totalsById !== null && ids) {
        const id = ids[code - 1]!;
        if (totalsById[id] === 0) touched.push([entries[code - 1]!, id]);
        totalsById[id]! += count;
        if (viewsById !== null) viewsById[id]! += viewCounts![code]!;
      } else {
        const value = entries[code - 1]!;
        totals.set(value, (totals.get(value) ?? 0) + count);
        if (viewCounts !== null) views.set(value, (views.get(value) ?? 0) + viewCounts[code]!);
      }
    }
  });
  if (totalsById !== null) {
    for (const [value, id] of touched) {
      totals.set(value, totalsById[id]!);
      if (viewsById !== null) views.set(value, viewsById[id]!);
    }
  }
  // "" is never a stored value (the codec keeps it as missing), so it cannot collide with one.
  if (includeMissing && missing > 0) {
    totals.set("", missing);
    views.set("", missingViews);
  }
  const byViews = withPageviews && options.byPageviews === true;
  const viewsOf = (value: string) => views.get(value) ?? 0;
  const top = [...totals]
    .sort((a, b) =>
      byViews
        ? viewsOf(b[0]) - viewsOf(a[0]) || b[1] - a[1] || compareText(a[0], b[0])
        : b[1] - a[1] || compareText(a[0], b[0]),
    )
    .slice(0, limit)
    .map(([value, events]): ValueRow => {
      const row: ValueRow = { value, events, sessions: 0, people: 0 };
      if (withPageviews) row.pageviews = views.get(value) ?? 0;
      return row;
    });
  if (top.length === 0 || (!want.sessions && !want.people)) return top;

  // Second pass, only over the top values' events: their members laid out by rank (a counting sort, the counts
  // are known), then counted rank by rank with one stamp tag per rank.
  const rankOf = new Map(top.map((row, rank) => [row.value, rank]));
  // By value id when pooled: rank + 1, 0 for values outside the top.
  const rankById = totalsById !== null ? new Int32Array(valueSpace) : null;
  if (rankById !== null) {
    const idOf = new Map(touched);
    top.forEach((row, rank) => {
      const id = idOf.get(row.value);
      if (id !== undefined) rankById[id] = rank + 1;
    });
  }
  const starts = new Int32Array(top.length + 1);
  for (let r = 0; r < top.length; r++) starts[r + 1] = starts[r]! + top[r]!.events;
  const fill = starts.slice(0, top.length);
  const sessionMembers = want.sessions ? new Int32Array(starts[top.length]!) : null;
  const userMembers = want.people ? new Int32Array(starts[top.length]!) : null;
  const missingRank = includeMissing ? (rankOf.get("") ?? -1) : -1;
  masked.each(group, (s, lo, hi, mask, offset) => {
    const segment = segments[s]!;
    const column = segment.values;
    if ((column !== null && column.kind !== 3) || countsBySegment[s] === null) return;
    const entries = column === null ? [] : column.entries;
    const codeRank = new Int32Array(entries.length + 1).fill(-1);
    const counts = countsBySegment[s]!;
    codeRank[0] = missingRank;
    let any = missingRank >= 0 && counts[0]! > 0;
    const ids = column === null ? undefined : column.ids;
    for (let i = 0; i < entries.length; i++) {
      if (counts[i + 1] === 0) continue;
      const rank = rankById !== null && ids ? rankById[ids[i]!]! - 1 : (rankOf.get(entries[i]!) ?? -1);
      if (rank >= 0) {
        codeRank[i + 1] = rank;
        any = true;
      }
    }
    if (!any) return;
    const codes = column === null ? null : column.codes;
    const sessions = segment.sessions;
    const users = segment.users;
    for (let i = lo; i < hi; i++) {
      if (mask !== null && mask[i - offset] === 0) continue;
      const rank = codeRank[codes === null ? 0 : codes[i]!]!;
      if (rank < 0) continue;
      const at = fill[rank]!++;
      if (sessionMembers !== null) sessionMembers[at] = sessions![i]!;
      if (userMembers !== null) userMembers[at] = users![i]!;
    }
  });
  const stamps = new Stamps(members, want.sessions, want.people);
  const personOf = members.personOf;
  for (let r = 0; r < top.length; r++) {
    const tag = stamps.next();
    const row = top[r]!;
    for (let at = starts[r]!; at < starts[r + 1]!; at++) {
      if (sessionMembers !== null) {
        const num = sessionMembers[at]!;
        if (num >= 0 && stamps.sessions[num] !== tag) {
          stamps.sessions[num] = tag;
          row.sessions++;
        }
      }
      if (userMembers !== null) {
        const user = userMembers[at]!;
        if (user >= 0) {
          const person = personOf === null ? user : personOf[user]!;
          if (stamps.people[person] !== tag) {
            stamps.people[person] = tag;
            row.people++;
          }
        }
      }
    }
  }
  return top;
}

/** The set of session nums (kind 'sessions') or person nums ('people') with an event in `group` passing the filters. */
export function memberSet(
  segments: readonly LoadedSegment[],
  filters: readonly EngineFilter[],
  group: TimeGroup,
  members: Members,
  kind: "sessions" | "people",
): Uint8Array {
  const masked = new MaskedSegments(segments, filters, group);
  const set = new Uint8Array((kind === "sessions" ? members.sessionSpace : members.userSpace) + 1);
  const personOf = members.personOf;
  masked.each(group, (s, lo, hi, mask, offset) => {
    const segment = segments[s]!;
    const nums = kind === "sessions" ? segment.sessions! : segment.users!;
    for (let i = lo; i < hi; i++) {
      if (mask !== null && mask[i - offset] === 0) continue;
      const num = nums[i]!;
      if (num < 0) continue;
      set[kind === "people" && personOf !== null ? personOf[num]! : num] = 1;
    }
  });
  return set;
}
