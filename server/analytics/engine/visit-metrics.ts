/**
 * Per-visit evaluation over loaded segments (the visit metrics of shared/analytics.ts VisitTotals, and entry and exit
 * pages). A visit is a session num with at least one page_view in the group's range; with filters, only visits with
 * at least one event passing them count, and each is computed from ALL of its events in the range (the filter picks
 * visits, not events). Events are walked once per group into per-session slots (first and last time, page views,
 * "did something else", matched), stamped with the group's tag so the arrays need no clearing; segments are not in
 * time order among themselves (late events, compaction), so first and last are a min and a max.
 */
import { type Column, DICTIONARY } from "./column-codec.ts";
import { compareText, type GroupTotals, lowerBound, type Members, Stamps, type TimeGroup } from "./evaluate.ts";
import { type EngineFilter, filterMask, type UserAcceptance, userAcceptance } from "./filter-masks.ts";
import {
  addFolded,
  codesOf,
  eventKinds,
  foldSegment,
  KIND_OTHER,
  KIND_PAGE_VIEW,
  nextTag,
  type SegmentSessions,
  type SessionUsers,
  sessionUsersOf,
  slotsFor,
  type VisitSegment,
} from "./session-slots.ts";

export { PAGE_VIEW, type VisitSegment } from "./session-slots.ts";

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

/** The visit figures and what the overview reads beside them, from the same walk (overviewFigures). */
export interface OverviewFigures extends VisitFigures {
  /** The events passing the filters, their distinct sessions and distinct people. */
  totals: GroupTotals;
  /** The most frequent event name among them (ties by name in code-point order), null when there is none. */
  topEvent: string | null;
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
  return walkGroups(segments, filters, groups, sessionSpace, null);
}

/**
 * The visit figures, event totals (as evaluate.ts groupTotals counts them) and top event of each group, in one walk:
 * the filtered overview's three readers in one pass over the range's events instead of three (segments need their
 * user column; `members` maps users to people).
 */
export function overviewFigures(
  segments: readonly VisitSegment[],
  filters: readonly EngineFilter[],
  groups: readonly TimeGroup[],
  members: Members,
): OverviewFigures[] {
  return walkGroups(segments, filters, groups, members.sessionSpace, members) as OverviewFigures[];
}

/** visitFigures, and with `members` overviewFigures: the events passing the filters counted in the same walk. */
function walkGroups(
  segments: readonly VisitSegment[],
  filters: readonly EngineFilter[],
  groups: readonly TimeGroup[],
  sessionSpace: number,
  members: Members | null,
): Array<VisitFigures | OverviewFigures> {
  const slots = slotsFor(sessionSpace);
  const filtered = filters.length > 0;
  // Counting events reads every event of the range, also in segments otherwise added by their folded sessions.
  const walkInside = filtered || members !== null;
  const people = members === null ? null : new Stamps(members, false, true);
  const personOf = members?.personOf ?? null;
  // Cohort filters judge an event by its user: a folded segment's sessions and people are then marked by its
  // session-user pairs (about one per session) rather than event by event.
  const byUser = members === null ? null : userAcceptance(filters, members.userSpace);
  return groups.map((group) => {
    const tag = nextTag();
    const personTag = people === null ? 0 : people.next();
    const personStamp = people === null ? null : people.people;
    let pageviews = 0;
    let events = 0;
    let distinctPeople = 0;
    const eventsByName = new Map<string, number>();
    const summaries: SegmentSessions[] = [];
    for (const segment of segments) {
      if (segment.info.minTs >= group.from && segment.info.maxTs < group.to && segment.sessions) {
        summaries.push(foldSegment(segment, slots));
      }
    }
    slots.count = 0;
    for (const summary of summaries) {
      addFolded(summary, slots, tag);
      if (!walkInside) pageviews += summary.pageviews;
    }
    for (const segment of segments) {
      if (segment.info.maxTs < group.from || segment.info.minTs >= group.to) continue;
      const inside = segment.info.minTs >= group.from && segment.info.maxTs < group.to;
      if (inside && !walkInside) continue;
      const lo = lowerBound(segment.ts, group.from);
      const hi = lowerBound(segment.ts, group.to);
      if (lo >= hi) continue;
      const mask = filterMask(filters, segment.filterColumns, lo, hi);
      const kinds = eventKinds(segment.names);
      const codes = codesOf(segment.names);
      const sessions = segment.sessions!;
      const users = members === null ? null : segment.users!;
      // Passing events per event_name code (0: no name), when counting.
      const byCode =
        users === null
          ? null
          : new Int32Array((segment.names?.kind === DICTIONARY ? segment.names.entries.length : 0) + 1);
      const ts = segment.ts;
      // The slot arrays as locals, and the first sight inlined: this loop is the whole cost of the read.
      const { stamp, first, last, flags } = slots;
      const views = slots.pageviews;
      if (inside && byUser !== null) {
        // Counting and filtered (so byCode, the mask and the person stamp are there).
        pageviews += countByName(mask!, codes, kinds, lo, hi, byCode!);
        const pairs = sessionUsersOf(segment, sessionSpace, members!.userSpace);
        distinctPeople += markSessionUsers(pairs, byUser, flags, personStamp!, personTag, personOf);
        events += addByName(byCode!, segment.names, eventsByName);
        continue;
      }
      for (let i = lo; i < hi; i++) {
        const passes = mask === null || mask[i - lo] !== 0;
        // Folded already: only which sessions have a matching event, the matching page views and the counts.
        if (inside && !passes) continue;
        const code = codes === null ? 0 : codes[i]!;
        const kind = kinds[code]!;
        if (passes) {
          if (kind === KIND_PAGE_VIEW) pageviews++;
          if (users !== null) {
            byCode![code]!++;
            const user = users[i]!;
            if (user >= 0) {
              const person = personOf === null ? user : personOf[user]!;
              if (personStamp![person] !== personTag) {
                personStamp![person] = personTag;
                distinctPeople++;
              }
            }
          }
        }
        const s = sessions[i]!;
        if (s < 0) continue;
        if (inside) {
          flags[s]! |= 2;
          continue;
        }
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
      if (byCode !== null) events += addByName(byCode, segment.names, eventsByName);
    }
    let visits = 0;
    let visitPageviews = 0;
    let bounces = 0;
    let matchedSessions = 0;
    const durations = new Float64Array(slots.count);
    for (let k = 0; k < slots.count; k++) {
      const s = slots.touched[k]!;
      const views = slots.pageviews[s]!;
      const flags = slots.flags[s]!;
      if ((flags & 2) !== 0) matchedSessions++;
      if (views === 0 || (filtered && (flags & 2) === 0)) continue;
      durations[visits++] = slots.last[s]! - slots.first[s]!;
      visitPageviews += views;
      if (views === 1 && (flags & 1) === 0) bounces++;
    }
    const figures: VisitFigures = {
      visits,
      pageviews,
      visitPageviews,
      bounces,
      durations: durations.subarray(0, visits),
    };
    if (members === null) return figures;
    return {
      ...figures,
      totals: { events, sessions: matchedSessions, people: distinctPeople },
      topEvent: mostFrequent(eventsByName),
    };
  });
}

/** Adds the passing events of one segment per event_name code into `eventsByName`; returns how many there were. */
function addByName(byCode: Int32Array, names: Column | null, eventsByName: Map<string, number>): number {
  const entries = names?.kind === DICTIONARY ? names.entries : [];
  let events = byCode[0]!;
  for (let code = 1; code < byCode.length; code++) {
    const count = byCode[code]!;
    if (count === 0) continue;
    events += count;
    const name = entries[code - 1]!;
    eventsByName.set(name, (eventsByName.get(name) ?? 0) + count);
  }
  return events;
}

/** Counts the events of [lo, hi) passing `mask` per event_name code into `byCode`; returns the page views among them. */
function countByName(
  mask: Uint8Array,
  codes: ArrayLike<number> | null,
  kinds: Uint8Array,
  lo: number,
  hi: number,
  byCode: Int32Array,
): number {
  for (let i = lo; i < hi; i++) if (mask[i - lo] !== 0) byCode[codes === null ? 0 : codes[i]!]!++;
  let pageviews = 0;
  for (let code = 0; code < byCode.length; code++) if (kinds[code] === KIND_PAGE_VIEW) pageviews += byCode[code]!;
  return pageviews;
}

/**
 * Marks the sessions (flag 2: has a passing event) and people of a segment's session-user pairs whose user the
 * filters keep; returns the people not yet stamped with `tag`.
 */
function markSessionUsers(
  pairs: SessionUsers,
  byUser: UserAcceptance,
  flags: Uint8Array,
  personStamp: Int32Array,
  tag: number,
  personOf: Int32Array | null,
): number {
  const { keep, outside } = byUser;
  let people = 0;
  for (let k = 0; k < pairs.users.length; k++) {
    const user = pairs.users[k]!;
    if ((user >= 0 && user < keep.length ? keep[user] : outside) === 0) continue;
    const s = pairs.sessions[k]!;
    if (s >= 0) flags[s]! |= 2;
    if (user < 0) continue;
    const person = personOf === null ? user : personOf[user]!;
    if (personStamp[person] !== tag) {
      personStamp[person] = tag;
      people++;
    }
  }
  return people;
}

/** The name with the most events, ties by name in code-point order (as topValues ranks). */
function mostFrequent(eventsByName: ReadonlyMap<string, number>): string | null {
  let top: string | null = null;
  let most = 0;
  for (const [name, count] of eventsByName) {
    if (count > most || (count === most && top !== null && compareText(name, top) < 0)) {
      top = name;
      most = count;
    }
  }
  return top;
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
