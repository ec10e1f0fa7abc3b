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
import { DICTIONARY } from "../engine/column-codec.ts";
import { compareText } from "../engine/evaluate.ts";
import { filterMask } from "../engine/filter-masks.ts";
import type { QueryEngine, ScannedSegment } from "../engine/query-engine.ts";

const PAGE_VIEW = "page_view";

/** Each qualifying session's collapsed values from the start node on (index 0 is the start), in walk order. */
type Walks = string[][];

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
  return rankWalks(walks, input.start.value, input.steps, input.limitPerStep);
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
  const ts: number[] = [];
  const value: number[] = [];
  const session: number[] = [];
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
    // Segment code -> global value id.
    const ids = new Int32Array(source.entries.length + 1);
    ids[0] = -1;
    source.entries.forEach((entry, i) => {
      let id = valueIds.get(entry);
      if (id === undefined) {
        id = values.length;
        values.push(entry);
        valueIds.set(entry, id);
      }
      ids[i + 1] = id;
    });
    const first = lowerBound(segment.ts, lo);
    const last = lowerBound(segment.ts, hi);
    const mask = filterMask(input.filters ?? [], segment.filterColumns, first, last);
    const sessions = segment.sessions!;
    for (let i = first; i < last; i++) {
      if (mask && mask[i - first] === 0) continue;
      const s = sessions[i]!;
      if (s < 0) continue;
      if (byPage && (names as { codes: ArrayLike<number> }).codes[i] !== pageViewCode) continue;
      const id = ids[source.codes[i]!]!;
      if (id < 0) continue;
      ts.push(segment.ts[i]!);
      value.push(id);
      session.push(s);
    }
  }
  const begin = new Int32Array(sessionSpace + 1);
  for (const s of session) begin[s + 1]!++;
  for (let s = 0; s < sessionSpace; s++) begin[s + 1]! += begin[s]!;
  const fill = begin.slice(0, sessionSpace);
  const order = new Int32Array(session.length);
  for (let e = 0; e < session.length; e++) order[fill[session[e]!]!++] = e;
  return { values, begin, order, ts: Float64Array.from(ts), value: Int32Array.from(value) };
}

function walkSessions(events: SessionEvents, input: ParsedPathsInput, from: number, to: number): Walks {
  const { values, begin, order, ts, value } = events;
  const startId = values.indexOf(input.start.value);
  const walks: Walks = [];
  if (startId < 0) return walks;
  const byTime = (a: number, b: number) => ts[a]! - ts[b]! || compareText(values[value[a]!]!, values[value[b]!]!);
  for (let s = 0; s + 1 < begin.length; s++) {
    const lo = begin[s]!;
    const hi = begin[s + 1]!;
    if (lo === hi) continue;
    // Most sessions never reach the start: skip them before sorting.
    let reaches = false;
    for (let i = lo; i < hi && !reaches; i++) reaches = value[order[i]!] === startId;
    if (!reaches) continue;
    const list = Array.from(order.subarray(lo, hi));
    list.sort(byTime);
    // Collapse consecutive repeats, keeping each run's first event.
    const run: number[] = [];
    for (const e of list) if (run.length === 0 || value[run[run.length - 1]!] !== value[e]) run.push(e);
    const at = run.findIndex((e) => value[e] === startId);
    if (at < 0 || ts[run[at]!]! < from || ts[run[at]!]! >= to) continue;
    const walk: string[] = [];
    if (input.direction === "after") {
      for (let k = at; k < run.length && k <= at + input.steps; k++) walk.push(values[value[run[k]!]!]!);
    } else {
      for (let k = at; k >= 0 && k >= at - input.steps; k--) walk.push(values[value[run[k]!]!]!);
    }
    walks.push(walk);
  }
  return walks;
}

/** Nodes and links from the sessions' walks: per step the top values, "$other" for the rest, "(end)" once. */
function rankWalks(walks: Walks, start: string, steps: number, limit: number): Paths {
  const nodes: PathNode[] = [];
  const links = new Map<string, PathLink>();
  if (walks.length === 0) return { nodes, links: [] };
  nodes.push({ step: 0, value: start, sessions: walks.length });
  // The node label each session stands on at the previous step (null once it ended).
  const at: Array<string | null> = walks.map(() => start);
  for (let step = 1; step <= steps; step++) {
    const counts = new Map<string, number>();
    for (let w = 0; w < walks.length; w++) {
      const next = at[w] === null ? undefined : walks[w]![step];
      if (next !== undefined) counts.set(next, (counts.get(next) ?? 0) + 1);
    }
    const kept = new Set(
      [...counts]
        .sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))
        .slice(0, limit)
        .map(([v]) => v),
    );
    const stepNodes = new Map<string, number>();
    for (let w = 0; w < walks.length; w++) {
      const previous = at[w];
      if (previous === null || previous === undefined) continue;
      const next = walks[w]![step];
      const label = next === undefined ? PATH_END : kept.has(next) ? next : PATH_OTHER;
      stepNodes.set(label, (stepNodes.get(label) ?? 0) + 1);
      const key = `${step - 1}\u0000${previous}\u0000${label}`;
      const link = links.get(key);
      if (link) link.sessions++;
      else links.set(key, { fromStep: step - 1, from: previous, to: label, sessions: 1 });
      at[w] = next === undefined ? null : label;
    }
    for (const [value, sessions] of stepNodes) nodes.push({ step, value, sessions });
  }
  nodes.sort((a, b) => a.step - b.step || b.sessions - a.sessions || compareText(a.value, b.value));
  const linkList = [...links.values()].sort(
    (a, b) =>
      a.fromStep - b.fromStep || b.sessions - a.sessions || compareText(a.from, b.from) || compareText(a.to, b.to),
  );
  return { nodes, links: linkList };
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
