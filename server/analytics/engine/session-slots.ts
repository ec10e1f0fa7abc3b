/**
 * Per-session slots for the visit walks (visit-metrics.ts): one set of arrays over the session num space, reused by
 * every evaluation of the process (tagged, never cleared), and each segment's events folded per session once, so a
 * segment lying wholly inside a group adds one entry per distinct session instead of one per event.
 */
import { type Column, DICTIONARY } from "./column-codec.ts";
import type { LoadedSegment } from "./evaluate.ts";

export const PAGE_VIEW = "page_view";
/** Events that never keep a visit from bouncing: the page view itself and identity calls. */
const PASSIVE_EVENTS = new Set([PAGE_VIEW, "identify", "$identify"]);

/** A segment with its event_name column (and path, for entry and exit pages). */
export interface VisitSegment extends LoadedSegment {
  names: Column | null;
  paths?: Column | null;
}

export const KIND_OTHER = 0;
export const KIND_PAGE_VIEW = 1;
const KIND_PASSIVE = 2;

/** Code -> event kind of a segment's event_name column (a missing name is "other"). */
export function eventKinds(names: Column | null): Uint8Array {
  if (names === null || names.kind !== DICTIONARY) return new Uint8Array(1);
  const kinds = new Uint8Array(names.entries.length + 1);
  names.entries.forEach((name, i) => {
    kinds[i + 1] = name === PAGE_VIEW ? KIND_PAGE_VIEW : PASSIVE_EVENTS.has(name) ? KIND_PASSIVE : KIND_OTHER;
  });
  return kinds;
}

export function codesOf(column: Column | null | undefined): ArrayLike<number> | null {
  return column && column.kind === DICTIONARY ? column.codes : null;
}

/**
 * Per-session slots, one set per process (slotsFor), reused by every evaluation: allocating and zeroing them per call
 * (five arrays the size of the project's session space, 35 MB at 1.4 M sessions) cost more than the walk itself
 * over a short range. Every group or fold takes a fresh tag (nextTag), so the slots need no clearing.
 */
export class SessionSlots {
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
export function slotsFor(space: number): SessionSlots {
  if (shared === null || shared.stamp.length <= space) {
    shared = new SessionSlots(Math.ceil(space * 1.25) + 1024);
    lastTag = 0;
  }
  return shared;
}

/** A tag no slot holds yet (the slots are renewed before the tags could wrap). */
export function nextTag(): number {
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
export interface SegmentSessions {
  nums: Int32Array;
  first: Float64Array;
  last: Float64Array;
  views: Int32Array;
  /** 1: an event other than page_view/identify. */
  other: Uint8Array;
  pageviews: number;
}

const folded = new WeakMap<Int32Array, SegmentSessions>();

export function foldSegment(segment: VisitSegment, slots: SessionSlots): SegmentSessions {
  const sessions = segment.sessions!;
  const known = folded.get(sessions);
  if (known) return known;
  const tag = nextTag();
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
export function addFolded(summary: SegmentSessions, slots: SessionSlots, tag: number): void {
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
 * A segment's (session, user) pairs: each session num of the segment with each user num it saw, and each user of
 * the events without a session (session -1). Readers that judge events by their user alone (cohort filters) mark a
 * segment's sessions and people from these, about one entry per session instead of one per event. A session whose
 * user changes back and forth repeats a pair: harmless, as the readers only mark. Kept as long as the segment's user
 * column stays cached, like the folds above (8 bytes per pair, not counted in the cache's budget).
 */
export interface SessionUsers {
  sessions: Int32Array;
  users: Int32Array;
}

const pairsByUsers = new WeakMap<Int32Array, SessionUsers>();
/** Scratch: per session num, the tag of the last fold that saw it and the user it last saw. */
const pairScratch = { tag: 0, seen: new Int32Array(0), lastUser: new Int32Array(0), seenUser: new Int32Array(0) };

export function sessionUsersOf(segment: LoadedSegment, sessionSpace: number, userSpace: number): SessionUsers {
  const users = segment.users!;
  const known = pairsByUsers.get(users);
  if (known) return known;
  const sessions = segment.sessions!;
  const scratch = pairScratch;
  if (scratch.seen.length <= sessionSpace || scratch.seenUser.length <= userSpace || scratch.tag >= 0x7ffffffe) {
    scratch.seen = new Int32Array(Math.ceil(sessionSpace * 1.25) + 1024);
    scratch.lastUser = new Int32Array(scratch.seen.length);
    scratch.seenUser = new Int32Array(Math.ceil(userSpace * 1.25) + 1024);
    scratch.tag = 0;
  }
  const tag = ++scratch.tag;
  const { seen, lastUser, seenUser } = scratch;
  const pairSessions: number[] = [];
  const pairUsers: number[] = [];
  for (let i = 0; i < users.length; i++) {
    const s = sessions[i]!;
    const u = users[i]!;
    if (s >= 0) {
      if (s < seen.length && seen[s] === tag && lastUser[s] === u) continue; // the session's user, seen already
      if (s < seen.length) {
        seen[s] = tag;
        lastUser[s] = u;
      }
    } else {
      if (u < 0 || (u < seenUser.length && seenUser[u] === tag)) continue; // marks nothing, or seen already
      if (u < seenUser.length) seenUser[u] = tag;
    }
    pairSessions.push(s);
    pairUsers.push(u);
  }
  const pairs = { sessions: Int32Array.from(pairSessions), users: Int32Array.from(pairUsers) };
  pairsByUsers.set(users, pairs);
  return pairs;
}
