/**
 * analytics.paths over the query engine's segments (semantics: shared/paths.ts, the README's "Paths"). A session's
 * events may start before the range (a start seen earlier disqualifies it; `before` walks back into it), so the
 * scan starts at the first event of the earliest session active in the range (analytics_sessions.first_seen, the
 * pipeline keeps it in the events' own transaction) and ends at `to`. The walk:
 *   1. per event passing the filters (kind page: page_view events with a path; kind event: every event), its
 *      session, time and value, values numbered across segments by string;
 *   2. events grouped by session (a counting sort on the session num), each session's events sorted by time, ties by
 *      value in code-point order (segments do not keep arrival order, so ties need a rule of their own);
 *   3. consecutive repeats collapsed, the first occurrence of the start value found, kept when it is in [from, to);
 *   4. per step, the sessions' values ranked (sessions desc, value), the top `limitPerStep` kept, the rest "$other";
 *      a session out of values goes to "(end)" once and no further.
 * Null while the engine does not hold all the project's events: the router answers PRECONDITION_FAILED then.
 */
import { sql } from "drizzle-orm";
import { resolveRange } from "../../../shared/analytics.ts";
import { PATH_END, PATH_OTHER } from "../../../shared/journey-constants.ts";
import type { ParsedPathsInput, PathLink, PathNode, Paths } from "../../../shared/paths.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { firstSlotAtOrAfter, slotsWithCodes } from "../engine/code-slots.ts";
import { type Column, DICTIONARY } from "../engine/column-codec.ts";
import { compareText } from "../engine/evaluate.ts";
import { filterMask } from "../engine/filter-masks.ts";
import type { QueryEngine, ScannedSegment } from "../engine/query-engine.ts";

const PAGE_VIEW = "page_view";

/** Each qualifying session's collapsed values (ids into `values`) from the start node on (index 0 is the start). */
interface Walks {
  values: string[];
  walks: number[][];
}

export async function getPaths(
  db: Database,
  input: ParsedPathsInput,
  now: number,
  engine: QueryEngine,
): Promise<Paths | null> {
  const { from, to } = resolveRange(input, now);
  const [earliest] = await queryRows<{ first: string | null }>(
    db,
    sql`select (extract(epoch from min(first_seen)) * 1000)::float8::text as first from analytics_sessions
         where project_id = ${input.projectId}::uuid and last_seen >= ${from.toISOString()}::timestamptz
           and first_seen < ${to.toISOString()}::timestamptz`,
  );
  const lookback = Math.min(from.getTime(), earliest?.first == null ? from.getTime() : Number(earliest.first));
  const filters = input.filters ?? [];
  const walks = await engine.scan(
    db,
    input.projectId,
    { from: lookback, to: to.getTime() },
    filters,
    ["event_name", "path"],
    (segments, members) => {
      const events = collectEvents(segments, input, lookback, to.getTime(), members.sessionSpace + 1);
      return walkSessions(events, input, from.getTime(), to.getTime());
    },
  );
  if (walks === null) return null;
  return rankWalks(walks, input.steps, input.limitPerStep);
}

interface SessionEvents {
  values: string[];
  /** Events grouped by session: session s holds order[begin[s] .. begin[s + 1]). */
  begin: Int32Array;
  order: Int32Array;
  ts: Float64Array;
  value: Int32Array;
}

function collectEvents(
  segments: ScannedSegment[],
  input: ParsedPathsInput,
  lo: number,
  hi: number,
  sessionSpace: number,
): SessionEvents {
  const values: string[] = [];
  const valueIds = new Map<string, number>();
  let byPoolId = new Int32Array(0);
  // Typed arrays sized for every slot of the range (an upper bound), filled up to `n`.
  let capacity = 0;
  for (const segment of segments) capacity += lowerBound(segment.ts, hi) - lowerBound(segment.ts, lo);
  const ts = new Float64Array(capacity);
  const value = new Int32Array(capacity);
  const session = new Int32Array(capacity);
  let n = 0;
  const byPage = input.start.kind === "page";
  for (const segment of segments) {
    const names = segment.column("event_name");
    const paths = segment.column("path");
    const source = byPage ? paths : names;
    if (!source || source.kind !== DICTIONARY) continue;
    let pageViewCode = 0;
    if (byPage) {
      if (!names || names.kind !== DICTIONARY) continue;
      pageViewCode = names.entries.indexOf(PAGE_VIEW) + 1;
      if (pageViewCode === 0) continue;
    }
    // Segment code -> global value id. A pooled column (segment-store.ts ValuePool: one pool id per distinct text)
    // goes through `byPoolId`, an array lookup, and only entries new to this call through the map by text.
    const ids = new Int32Array(source.entries.length + 1);
    ids[0] = -1;
    const poolIds = source.ids;
    for (let i = 0; i < source.entries.length; i++) {
      const poolId = poolIds === undefined ? -1 : poolIds[i]!;
      if (poolId >= 0 && poolId < byPoolId.length && byPoolId[poolId]! >= 0) {
        ids[i + 1] = byPoolId[poolId]!;
        continue;
      }
      const entry = source.entries[i]!;
      let id = valueIds.get(entry);
      if (id === undefined) {
        id = values.length;
        values.push(entry);
        valueIds.set(entry, id);
      }
      ids[i + 1] = id;
      if (poolId >= 0) {
        if (poolId >= byPoolId.length) {
          const grown = new Int32Array(Math.max(poolId + 1, byPoolId.length * 2)).fill(-1);
          grown.set(byPoolId);
          byPoolId = grown;
        }
        byPoolId[poolId] = id;
      }
    }
    const first = lowerBound(segment.ts, lo);
    const last = lowerBound(segment.ts, hi);
    const mask = filterMask(input.filters ?? [], segment.filterColumns, first, last);
    const sessions = segment.sessions!;
    const sourceCodes = source.codes;
    const segmentTs = segment.ts;
    const visit = (i: number) => {
      if (mask && mask[i - first] === 0) return;
      const s = sessions[i]!;
      if (s < 0) return;
      const id = ids[sourceCodes[i]!]!;
      if (id < 0) return;
      ts[n] = segmentTs[i]!;
      value[n] = id;
      session[n] = s;
      n++;
    };
    if (byPage) {
      // Pages: only the page_view slots (cached per segment, code-slots.ts), in slot order.
      const slots = slotsWithCodes((names as Extract<Column, { kind: typeof DICTIONARY }>).codes, [pageViewCode]);
      const end = firstSlotAtOrAfter(slots, last);
      for (let p = firstSlotAtOrAfter(slots, first); p < end; p++) visit(slots[p]!);
    } else for (let i = first; i < last; i++) visit(i);
  }
  const begin = new Int32Array(sessionSpace + 1);
  for (let e = 0; e < n; e++) begin[session[e]! + 1]!++;
  for (let s = 0; s < sessionSpace; s++) begin[s + 1]! += begin[s]!;
  const fill = begin.slice(0, sessionSpace);
  const order = new Int32Array(n);
  for (let e = 0; e < n; e++) order[fill[session[e]!]!++] = e;
  return { values, begin, order, ts: ts.subarray(0, n), value: value.subarray(0, n) };
}

function walkSessions(events: SessionEvents, input: ParsedPathsInput, from: number, to: number): Walks {
  const { values, begin, order, ts, value } = events;
  const startId = values.indexOf(input.start.value);
  const walks: number[][] = [];
  if (startId < 0) return { values, walks };
  // Ties in time go by value in code-point order (rare: the texts are compared only then).
  const before = (a: number, b: number) =>
    ts[a]! < ts[b]! || (ts[a] === ts[b] && compareText(values[value[a]!]!, values[value[b]!]!) < 0);
  let list = new Int32Array(64);
  const run: number[] = [];
  for (let s = 0; s + 1 < begin.length; s++) {
    const lo = begin[s]!;
    const hi = begin[s + 1]!;
    if (lo === hi) continue;
    // Most sessions never reach the start: skip them before sorting.
    let reaches = false;
    for (let i = lo; i < hi && !reaches; i++) reaches = value[order[i]!] === startId;
    if (!reaches) continue;
    // The session's events by (time, value text): an insertion sort, sessions being short and nearly sorted (a long
    // one takes the library sort; events equal in both are interchangeable, so either order gives the same walk).
    const length = hi - lo;
    if (list.length < length) list = new Int32Array(length * 2);
    if (length > 256) {
      list.set(
        Array.from(order.subarray(lo, hi)).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)),
        0,
      );
    } else
      for (let i = 0; i < length; i++) {
        const e = order[lo + i]!;
        let j = i - 1;
        while (j >= 0 && before(e, list[j]!)) {
          list[j + 1] = list[j]!;
          j--;
        }
        list[j + 1] = e;
      }
    // Collapse consecutive repeats, keeping each run's first event.
    run.length = 0;
    for (let i = 0; i < length; i++) {
      const e = list[i]!;
      if (run.length === 0 || value[run[run.length - 1]!] !== value[e]) run.push(e);
    }
    const at = run.findIndex((e) => value[e] === startId);
    if (at < 0 || ts[run[at]!]! < from || ts[run[at]!]! >= to) continue;
    const walk: number[] = [];
    if (input.direction === "after") {
      for (let k = at; k < run.length && k <= at + input.steps; k++) walk.push(value[run[k]!]!);
    } else {
      for (let k = at; k >= 0 && k >= at - input.steps; k--) walk.push(value[run[k]!]!);
    }
    walks.push(walk);
  }
  return { values, walks };
}

/** Node labels by number: a value's id, or these two (a value spelled like one of them is given its number). */
const OTHER_LABEL = -1;
const END_LABEL = -2;

/**
 * Nodes and links from the sessions' walks: per step the top values, "$other" for the rest, "(end)" once. Counted
 * by label number (one number per label text, so the same groups as counting by text), named at the end.
 */
function rankWalks({ values, walks }: Walks, steps: number, limit: number): Paths {
  const nodes: PathNode[] = [];
  const links: PathLink[] = [];
  if (walks.length === 0) return { nodes, links };
  const labelOf = (id: number) => (values[id] === PATH_OTHER ? OTHER_LABEL : values[id] === PATH_END ? END_LABEL : id);
  const text = (label: number) =>
    label === OTHER_LABEL ? PATH_OTHER : label === END_LABEL ? PATH_END : values[label]!;
  const start = walks[0]![0]!;
  nodes.push({ step: 0, value: values[start]!, sessions: walks.length });
  // The node label each session stands on at the previous step (null once it ended).
  const at: Array<number | null> = walks.map(() => labelOf(start));
  const counts = new Int32Array(values.length);
  const kept = new Uint8Array(values.length);
  const width = values.length + 2;
  for (let step = 1; step <= steps; step++) {
    counts.fill(0);
    kept.fill(0);
    const seen: number[] = [];
    for (let w = 0; w < walks.length; w++) {
      const next = at[w] === null ? undefined : walks[w]![step];
      if (next === undefined) continue;
      if (counts[next] === 0) seen.push(next);
      counts[next]!++;
    }
    // The top `limit` by (sessions desc, text): one pass keeping them in order (distinct ids have distinct texts, so
    // the order is total and the kept set the same as a full sort's).
    const ahead = (a: number, b: number) =>
      counts[a]! > counts[b]! || (counts[a] === counts[b] && compareText(values[a]!, values[b]!) < 0);
    const top: number[] = [];
    for (const id of seen) {
      if (top.length === limit && !ahead(id, top[limit - 1]!)) continue;
      let at = top.length === limit ? limit - 1 : top.length;
      while (at > 0 && ahead(id, top[at - 1]!)) {
        top[at] = top[at - 1]!;
        at--;
      }
      top[at] = id;
    }
    for (const id of top) kept[id] = 1;
    const stepNodes = new Map<number, number>();
    const stepLinks = new Map<number, number>();
    for (let w = 0; w < walks.length; w++) {
      const previous = at[w];
      if (previous === null || previous === undefined) continue;
      const next = walks[w]![step];
      const label = next === undefined ? END_LABEL : kept[next] === 1 ? labelOf(next) : OTHER_LABEL;
      stepNodes.set(label, (stepNodes.get(label) ?? 0) + 1);
      const key = (previous + 2) * width + (label + 2);
      stepLinks.set(key, (stepLinks.get(key) ?? 0) + 1);
      at[w] = next === undefined ? null : label;
    }
    for (const [label, sessions] of stepNodes) nodes.push({ step, value: text(label), sessions });
    for (const [key, sessions] of stepLinks) {
      const from = Math.floor(key / width) - 2;
      links.push({ fromStep: step - 1, from: text(from), to: text((key % width) - 2), sessions });
    }
  }
  nodes.sort((a, b) => a.step - b.step || b.sessions - a.sessions || compareText(a.value, b.value));
  links.sort(
    (a, b) =>
      a.fromStep - b.fromStep || b.sessions - a.sessions || compareText(a.from, b.from) || compareText(a.to, b.to),
  );
  return { nodes, links };
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
