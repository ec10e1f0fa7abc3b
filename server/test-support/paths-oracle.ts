/**
 * The paths oracle (not used by production code): analytics.paths as a plain JS walk over the raw events of
 * fetchOracleEvents (journeys-oracle.ts): per session, sort, collapse repeats, find the start, then label step by
 * step. Used by server/analytics/paths/get-paths.test.ts and the cohort filter tests.
 */
import type { PathLink, PathNode, Paths } from "../../shared/paths.ts";
import type { OracleEvent } from "./journeys-oracle.ts";

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
export const sortedNodes = (nodes: PathNode[]) =>
  [...nodes].sort((a, b) => a.step - b.step || b.sessions - a.sessions || byCodePoint(a.value, b.value));
export const sortedLinks = (links: PathLink[]) =>
  [...links].sort(
    (a, b) =>
      a.fromStep - b.fromStep || b.sessions - a.sessions || byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to),
  );

/** The walk written plainly: per session, sort, collapse, find the start, then label step by step. */
export function oraclePaths(
  events: OracleEvent[],
  input: { kind: "page" | "event"; value: string; direction: "after" | "before"; steps: number; limit: number },
  from: number,
  to: number,
): Paths {
  const sessions = new Map<string, Array<{ ts: number; value: string }>>();
  for (const e of events) {
    if (e.session === null || e.ts >= to) continue;
    const value = input.kind === "page" ? (e.name === "page_view" ? e.path : null) : e.name;
    if (!value) continue;
    if (!sessions.has(e.session)) sessions.set(e.session, []);
    sessions.get(e.session)!.push({ ts: e.ts, value });
  }
  const walks: string[][] = [];
  for (const list of sessions.values()) {
    list.sort((a, b) => a.ts - b.ts || byCodePoint(a.value, b.value));
    const collapsed = list.filter((e, i) => i === 0 || list[i - 1]!.value !== e.value);
    const at = collapsed.findIndex((e) => e.value === input.value);
    if (at < 0 || collapsed[at]!.ts < from || collapsed[at]!.ts >= to) continue;
    const values = collapsed.map((e) => e.value);
    walks.push(
      input.direction === "after"
        ? values.slice(at, at + input.steps + 1)
        : values.slice(Math.max(0, at - input.steps), at + 1).reverse(),
    );
  }
  if (walks.length === 0) return { nodes: [], links: [] };
  const nodes: PathNode[] = [{ step: 0, value: input.value, sessions: walks.length }];
  const links: PathLink[] = [];
  let labels: Array<string | null> = walks.map(() => input.value);
  for (let step = 1; step <= input.steps; step++) {
    const live = walks.filter((_, w) => labels[w] !== null);
    const counts = new Map<string, number>();
    for (const walk of live) if (walk[step] !== undefined) counts.set(walk[step]!, (counts.get(walk[step]!) ?? 0) + 1);
    const top = [...counts.keys()]
      .sort((a, b) => counts.get(b)! - counts.get(a)! || byCodePoint(a, b))
      .slice(0, input.limit);
    const next = walks.map((walk, w) =>
      labels[w] === null
        ? null
        : walk[step] === undefined
          ? "(end)"
          : top.includes(walk[step]!)
            ? walk[step]!
            : "$other",
    );
    const add = <T extends { sessions: number }>(list: T[], match: (item: T) => boolean, item: T) => {
      const found = list.find(match);
      if (found) found.sessions++;
      else list.push(item);
    };
    walks.forEach((_, w) => {
      const label = next[w];
      const previous = labels[w];
      if (label === null || label === undefined || previous === null || previous === undefined) return;
      add(nodes, (n) => n.step === step && n.value === label, { step, value: label, sessions: 1 });
      add(links, (l) => l.fromStep === step - 1 && l.from === previous && l.to === label, {
        fromStep: step - 1,
        from: previous,
        to: label,
        sessions: 1,
      });
    });
    labels = next.map((label) => (label === "(end)" ? null : label));
  }
  return { nodes: sortedNodes(nodes), links: sortedLinks(links) };
}
