/**
 * analytics.paths against the raw events, on PostgreSQL and PGlite: a hand-built set of sessions whose flow is
 * written out below (repeats collapsed, "$other" continuing with its real value, "(end)", before and after, a start
 * first seen before the range), and seeded random sessions against the paths oracle (test-support/paths-oracle.ts:
 * a plain JS walk over the events table).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import { pathsInputSchema } from "../../../shared/paths.ts";
import { seededRandom, shuffled, storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import {
  type DatabaseKind,
  fetchOracleEvents,
  openProjectDatabase,
  type TestProjectDatabase,
} from "../../test-support/journeys-oracle.ts";
import { oraclePaths, sortedLinks, sortedNodes } from "../../test-support/paths-oracle.ts";
import { QueryEngine } from "../engine/query-engine.ts";
import { getPaths } from "./get-paths.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const R0 = Date.UTC(2026, 4, 4);
const R1 = Date.UTC(2026, 4, 11);
const NOW = Date.UTC(2026, 4, 20);

function handBuilt(projectId: string) {
  const rows = [];
  const session = (id: string, at: number, paths: string[]) => {
    for (const [i, path] of paths.entries()) {
      rows.push(testEvent(projectId, { at: at + i * MINUTE, sessionId: `h-${id}`, distinctId: `hu-${id}`, path }));
    }
  };
  const at = R0 + DAY;
  session("1", at, ["/", "/a", "/a", "/b"]);
  session("2", at, ["/", "/a", "/c"]);
  session("3", at, ["/", "/b", "/a"]);
  session("4", at, ["/"]);
  session("5", at, ["/x", "/", "/a"]);
  // First "/" before the range: this session does not count, though it shows "/" again inside it.
  session("6", R0 - 2 * MINUTE, ["/", "/d", "/"]);
  // Events at or after `to` are not walked.
  session("7", R1 - 2 * MINUTE, ["/", "/a", "/z"]);
  // A custom event between two views of "/a" does not break the repeat (kind page reads page_view only).
  rows.push(testEvent(projectId, { at: at + 90_000, sessionId: "h-1", eventName: "button_click", path: "/q" }));
  return rows;
}

const NAMES = ["page_view", "page_view", "page_view", "signup", "purchase", "button_click"];
const PAGES = ["/", "/pricing", "/docs", "/docs/api", "/signup", "/checkout"];

function randomSessions(projectId: string) {
  const random = seededRandom(9);
  const rows = [];
  for (let s = 0; s < 150; s++) {
    let at = R0 - 2 * DAY + Math.floor(random() * 11 * DAY);
    const count = 1 + Math.floor(random() * 10);
    for (let e = 0; e < count; e++) {
      // Equal timestamps now and then: ties are ordered by value.
      if (random() > 0.15) at += Math.floor(random() * 20 * MINUTE);
      rows.push(
        testEvent(projectId, {
          at,
          sessionId: `r-${s}`,
          distinctId: `ru-${s % 40}`,
          eventName: NAMES[Math.floor(random() * NAMES.length)]!,
          path: PAGES[Math.floor(random() * PAGES.length)]!,
          userAgent:
            random() < 0.5 ? undefined : "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
        }),
      );
    }
  }
  return rows;
}

describe.each(["postgres", "pglite"] as const)("paths on %s", (kind: DatabaseKind) => {
  let t: TestProjectDatabase;
  let hand: TestProjectDatabase;
  beforeAll(async () => {
    t = await openProjectDatabase(kind, "paths");
    await storeTestEvents(t.db, shuffled(randomSessions(t.projectId)), 70);
    hand = await openProjectDatabase(kind, "paths-hand");
    await storeTestEvents(hand.db, shuffled(handBuilt(hand.projectId)), 7);
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await hand.close();
  });

  const ask = (db: TestProjectDatabase, fields: Record<string, unknown>) =>
    getPaths(
      db.db,
      pathsInputSchema.parse({ projectId: db.projectId, from: iso(R0), to: iso(R1), ...fields }),
      NOW,
      new QueryEngine({ cacheBytes: 16 << 20 }),
    );

  it("collapses repeats, groups the rest as $other which goes on, ends sessions once", async () => {
    const answer = await ask(hand, { start: { kind: "page", value: "/" }, steps: 3, limitPerStep: 1 });
    expect(sortedNodes(answer!.nodes)).toEqual(
      sortedNodes([
        { step: 0, value: "/", sessions: 6 },
        { step: 1, value: "/a", sessions: 4 },
        { step: 1, value: "$other", sessions: 1 },
        { step: 1, value: "(end)", sessions: 1 },
        { step: 2, value: "$other", sessions: 2 },
        { step: 2, value: "(end)", sessions: 2 },
        { step: 2, value: "/a", sessions: 1 },
        { step: 3, value: "(end)", sessions: 3 },
      ]),
    );
    expect(sortedLinks(answer!.links)).toEqual(
      sortedLinks([
        { fromStep: 0, from: "/", to: "/a", sessions: 4 },
        { fromStep: 0, from: "/", to: "$other", sessions: 1 },
        { fromStep: 0, from: "/", to: "(end)", sessions: 1 },
        { fromStep: 1, from: "/a", to: "$other", sessions: 2 },
        { fromStep: 1, from: "/a", to: "(end)", sessions: 2 },
        { fromStep: 1, from: "$other", to: "/a", sessions: 1 },
        { fromStep: 2, from: "$other", to: "(end)", sessions: 2 },
        { fromStep: 2, from: "/a", to: "(end)", sessions: 1 },
      ]),
    );
  });

  it("walks backwards from the start with direction before", async () => {
    const answer = await ask(hand, { start: { kind: "page", value: "/b" }, direction: "before", steps: 2 });
    expect(sortedNodes(answer!.nodes)).toEqual(
      sortedNodes([
        { step: 0, value: "/b", sessions: 2 },
        { step: 1, value: "/", sessions: 1 },
        { step: 1, value: "/a", sessions: 1 },
        { step: 2, value: "/", sessions: 1 },
        { step: 2, value: "(end)", sessions: 1 },
      ]),
    );
    expect(answer!.links).toHaveLength(4);
  });

  it("answers no nodes for a start nobody reached", async () => {
    expect(await ask(hand, { start: { kind: "page", value: "/nowhere" } })).toEqual({ nodes: [], links: [] });
  });

  const CASES: Array<{ name: string; fields: Record<string, unknown>; filters?: AnalyticsFilter[] }> = [
    { name: "pages after /", fields: { start: { kind: "page", value: "/" }, steps: 5, limitPerStep: 3 } },
    { name: "pages before /checkout", fields: { start: { kind: "page", value: "/checkout" }, direction: "before" } },
    { name: "events after signup", fields: { start: { kind: "event", value: "signup" }, steps: 4, limitPerStep: 2 } },
    {
      name: "events before purchase, filtered",
      fields: { start: { kind: "event", value: "purchase" }, direction: "before", steps: 3 },
      filters: [{ dimension: "browser", op: "eq", value: "Firefox" }],
    },
    {
      name: "pages after /docs, with not_contains and in filters",
      fields: { start: { kind: "page", value: "/docs" }, steps: 3, limitPerStep: 2 },
      filters: [
        { dimension: "path", op: "not_contains", value: "CHECK" },
        { dimension: "event_name", op: "in", values: ["page_view", "signup"] },
      ],
    },
  ];
  for (const c of CASES) {
    it(`matches a plain walk over the raw events: ${c.name}`, async () => {
      const answer = await ask(t, { ...c.fields, filters: c.filters });
      const parsed = pathsInputSchema.parse({ projectId: t.projectId, ...c.fields });
      const expected = oraclePaths(
        await fetchOracleEvents(t.db, t.projectId, "UTC", c.filters),
        {
          kind: parsed.start.kind,
          value: parsed.start.value,
          direction: parsed.direction,
          steps: parsed.steps,
          limit: parsed.limitPerStep,
        },
        R0,
        R1,
      );
      expect({ nodes: sortedNodes(answer!.nodes), links: sortedLinks(answer!.links) }).toEqual(expected);
      expect(expected.nodes.length).toBeGreaterThan(3);
    }, 60_000);
  }
});
