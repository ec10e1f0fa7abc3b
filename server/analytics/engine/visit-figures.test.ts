/**
 * visitFigures and overviewFigures against a plain per-event reference, over random segments: several per range,
 * overlapping in time (late events), events without a session or user, groups that hold some segments wholly (the
 * folded path) and cut others, with and without filters, and the same segments evaluated again (folds taken from the
 * cache). overviewFigures also counts the events passing the filters, their sessions and people (users merged by a
 * person map) and the top event, as evaluate.ts groupTotals and topValues do.
 */
import { describe, expect, test } from "bun:test";
import type { CohortFilter } from "../../../shared/analytics.ts";
import { attachCohortMembers } from "../cohort-filter-members.ts";
import { type Column, DICTIONARY, NUMBERS_I32 } from "./column-codec.ts";
import type { EngineFilter } from "./filter-masks.ts";
import { medianOf, overviewFigures, type VisitSegment, visitFigures } from "./visit-metrics.ts";

const NAMES = ["page_view", "click", "identify", "$identify", "signup"];
const PATHS = ["/", "/pricing", "/docs"];
const USER_SPACE = 30;

function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

interface Event {
  ts: number;
  session: number;
  user: number;
  name: string | null;
  path: string | null;
}

function dictionary(values: Array<string | null>, entries: string[]): Column {
  const codes = new Uint8Array(values.length);
  values.forEach((v, i) => {
    codes[i] = v === null ? 0 : entries.indexOf(v) + 1;
  });
  return { kind: DICTIONARY, entries, codes };
}

function makeSegments(rand: () => number, sessionSpace: number): { segments: VisitSegment[]; events: Event[] } {
  const segments: VisitSegment[] = [];
  const events: Event[] = [];
  let clock = 0;
  for (let s = 0; s < 12; s++) {
    const n = 1 + Math.floor(rand() * 60);
    // Every third segment is late: its events fall among earlier segments' times.
    const base = s % 3 === 2 ? rand() * clock : clock;
    const rows: Event[] = [];
    for (let i = 0; i < n; i++) {
      rows.push({
        ts: Math.floor(base + rand() * 100),
        session: rand() < 0.1 ? -1 : 1 + Math.floor(rand() * sessionSpace),
        user: rand() < 0.1 ? -1 : 1 + Math.floor(rand() * USER_SPACE),
        name: rand() < 0.05 ? null : NAMES[Math.floor(rand() * (rand() < 0.5 ? 1 : NAMES.length))]!,
        path: rand() < 0.2 ? null : PATHS[Math.floor(rand() * PATHS.length)]!,
      });
    }
    rows.sort((a, b) => a.ts - b.ts);
    if (s % 3 !== 2) clock = rows[rows.length - 1]!.ts + 1;
    events.push(...rows);
    segments.push({
      info: { id: s + 1, minTs: rows[0]!.ts, maxTs: rows[rows.length - 1]!.ts, count: n },
      ts: Float64Array.from(rows.map((r) => r.ts)),
      sessions: Int32Array.from(rows.map((r) => r.session)),
      users: Int32Array.from(rows.map((r) => r.user)),
      values: null,
      filterColumns: [],
      names: dictionary(
        rows.map((r) => r.name),
        NAMES,
      ),
      paths: dictionary(
        rows.map((r) => r.path),
        PATHS,
      ),
    });
  }
  return { segments, events };
}

type Passes = (e: Event) => boolean;
const pathIs =
  (pathEq: string | null): Passes =>
  (e) =>
    pathEq === null || e.path === pathEq;

function reference(events: Event[], group: { from: number; to: number }, passes: Passes) {
  const inRange = events.filter((e) => e.ts >= group.from && e.ts < group.to);
  const bySession = new Map<number, Event[]>();
  for (const e of inRange) {
    if (e.session < 0) continue;
    bySession.set(e.session, [...(bySession.get(e.session) ?? []), e]);
  }
  let visits = 0;
  let visitPageviews = 0;
  let bounces = 0;
  const durations: number[] = [];
  for (const list of bySession.values()) {
    const views = list.filter((e) => e.name === "page_view").length;
    if (views === 0 || !list.some(passes)) continue;
    visits++;
    visitPageviews += views;
    const active = list.some((e) => e.name === null || !["page_view", "identify", "$identify"].includes(e.name));
    if (views === 1 && !active) bounces++;
    const times = list.map((e) => e.ts);
    durations.push(Math.max(...times) - Math.min(...times));
  }
  const pageviews = inRange.filter((e) => e.name === "page_view" && passes(e)).length;
  return { visits, pageviews, visitPageviews, bounces, durations: durations.sort((a, b) => a - b) };
}

describe("visitFigures", () => {
  for (let seed = 1; seed <= 40; seed++) {
    test(`equals the per-event reference (seed ${seed})`, () => {
      const rand = random(seed);
      const sessionSpace = 5 + Math.floor(rand() * 40);
      const { segments, events } = makeSegments(rand, sessionSpace);
      const end = Math.max(...events.map((e) => e.ts)) + 1;
      const groups = [
        { from: 0, to: end },
        { from: Math.floor(rand() * end), to: end },
        { from: 0, to: Math.floor(rand() * end) },
        { from: Math.floor(end / 3), to: Math.floor((2 * end) / 3) },
      ];
      for (const pathEq of [null, "/pricing"]) {
        const filters: EngineFilter[] = pathEq === null ? [] : [{ dimension: "path", op: "eq", value: pathEq }];
        const withColumns = segments.map((s) => ({ ...s, filterColumns: pathEq === null ? [] : [s.paths!] }));
        // Twice: the second evaluation adds the folds kept from the first.
        for (let round = 0; round < 2; round++) {
          const figures = visitFigures(withColumns, filters, groups, sessionSpace);
          groups.forEach((group, g) => {
            const want = reference(events, group, pathIs(pathEq));
            const got = figures[g]!;
            expect({ ...got, durations: Array.from(got.durations).sort((a, b) => a - b) }).toEqual(want);
          });
        }
      }
    });
  }
});

/** The overview's counts over the same events: passing events, their sessions and people, the top event. */
function referenceTotals(events: Event[], group: { from: number; to: number }, passes: Passes, personOf: Int32Array) {
  const passing = events.filter((e) => e.ts >= group.from && e.ts < group.to && passes(e));
  const byName = new Map<string, number>();
  for (const e of passing) if (e.name !== null) byName.set(e.name, (byName.get(e.name) ?? 0) + 1);
  const top = [...byName].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null;
  return {
    totals: {
      events: passing.length,
      sessions: new Set(passing.filter((e) => e.session >= 0).map((e) => e.session)).size,
      people: new Set(passing.filter((e) => e.user >= 0).map((e) => personOf[e.user])).size,
    },
    topEvent: top,
  };
}

/** A filter case: the filters (cohorts with their member sets attached), each one's column, the reference. */
interface FilterCase {
  label: string;
  filters: EngineFilter[];
  columns: (segment: VisitSegment) => Array<Column | null>;
  passes: Passes;
}

/** No filter, a path, cohorts alone (in, not in, both: judged per user), and a cohort next to a path. */
function filterCases(rand: () => number): FilterCase[] {
  // Member sets by user num; one shorter than the user space (the nums past it are never members).
  const setA = Uint8Array.from({ length: USER_SPACE + 1 }, () => (rand() < 0.4 ? 1 : 0));
  const setB = Uint8Array.from({ length: USER_SPACE - 7 }, () => (rand() < 0.5 ? 1 : 0));
  const member = (set: Uint8Array, user: number) => user >= 0 && user < set.length && set[user] === 1;
  const cohort = (op: "in" | "not_in", set: Uint8Array): CohortFilter => {
    const filter: CohortFilter = { dimension: "cohort", op, value: crypto.randomUUID() };
    attachCohortMembers(filter, set);
    return filter;
  };
  const users = (segment: VisitSegment): Column => ({ kind: NUMBERS_I32, values: segment.users! });
  return [
    { label: "no filter", filters: [], columns: () => [], passes: () => true },
    {
      label: "path",
      filters: [{ dimension: "path", op: "eq", value: "/docs" }],
      columns: (segment) => [segment.paths!],
      passes: pathIs("/docs"),
    },
    {
      label: "in a cohort",
      filters: [cohort("in", setA)],
      columns: (segment) => [users(segment)],
      passes: (e) => member(setA, e.user),
    },
    {
      label: "not in a cohort",
      filters: [cohort("not_in", setB)],
      columns: (segment) => [users(segment)],
      passes: (e) => !member(setB, e.user),
    },
    {
      label: "in one cohort, not in another",
      filters: [cohort("in", setA), cohort("not_in", setB)],
      columns: (segment) => [users(segment), users(segment)],
      passes: (e) => member(setA, e.user) && !member(setB, e.user),
    },
    {
      label: "not in a cohort, on a path",
      filters: [cohort("not_in", setA), { dimension: "path", op: "eq", value: "/" }],
      columns: (segment) => [users(segment), segment.paths!],
      passes: (e) => !member(setA, e.user) && e.path === "/",
    },
  ];
}

describe("overviewFigures", () => {
  for (let seed = 1; seed <= 40; seed++) {
    test(`equals the per-event reference, visits and totals (seed ${seed})`, () => {
      const rand = random(seed + 1000);
      const sessionSpace = 5 + Math.floor(rand() * 40);
      const { segments, events } = makeSegments(rand, sessionSpace);
      // Every fourth user is an alias of a lower one (a person of several ids); seed 1 has no links at all.
      const personOf = Int32Array.from({ length: USER_SPACE + 1 }, (_, num) =>
        seed > 1 && num > 1 && num % 4 === 0 ? Math.floor(rand() * (num - 1)) + 1 : num,
      );
      const members = { personOf: seed > 1 ? personOf : null, sessionSpace, userSpace: USER_SPACE };
      const end = Math.max(...events.map((e) => e.ts)) + 1;
      const groups = [
        { from: 0, to: end },
        { from: Math.floor(rand() * end), to: end },
        { from: Math.floor(end / 3), to: Math.floor((2 * end) / 3) },
      ];
      for (const { label, filters, columns, passes } of filterCases(rand)) {
        const withColumns = segments.map((s) => ({ ...s, filterColumns: columns(s) }));
        // Twice: the second evaluation takes the folds and session-user pairs kept from the first.
        for (let round = 0; round < 2; round++) {
          const figures = overviewFigures(withColumns, filters, groups, members);
          groups.forEach((group, g) => {
            const got = figures[g]!;
            expect({
              label,
              visits: got.visits,
              pageviews: got.pageviews,
              visitPageviews: got.visitPageviews,
              bounces: got.bounces,
              durations: Array.from(got.durations).sort((a, b) => a - b),
            }).toEqual({ label, ...reference(events, group, passes) });
            expect({ label, totals: got.totals, topEvent: got.topEvent }).toEqual({
              label,
              ...referenceTotals(events, group, passes, personOf),
            });
          });
        }
      }
    });
  }
});

describe("medianOf", () => {
  test("equals the sorted middle, for odd, even, repeated and ordered inputs", () => {
    const rand = random(7);
    for (let trial = 0; trial < 2000; trial++) {
      const n = Math.floor(rand() * 50);
      const kind = trial % 4;
      const values = Float64Array.from({ length: n }, (_, i) =>
        kind === 0 ? Math.floor(rand() * 4) : kind === 1 ? i : kind === 2 ? n - i : rand() * 1000,
      );
      const sorted = values.slice().sort();
      const mid = n >>> 1;
      const want = n === 0 ? 0 : n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      expect(medianOf(values)).toBe(want);
    }
  });
});
