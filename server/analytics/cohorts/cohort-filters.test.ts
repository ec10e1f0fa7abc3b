/**
 * The cohort filter on the analyses, through the tRPC caller, on PostgreSQL and on PGlite, against the oracles
 * rather than against each other: funnel (step counts and median times, by people and by sessions, with a
 * breakdown, the cohort as a step's filter), funnelPeople, retention cells, paths nodes and links, entry and exit
 * pages and the overview's visit metrics, each computed by the existing oracles (test-support/funnel-oracle.ts,
 * retention-oracle.ts, paths-oracle.ts, visit-oracle.ts) over the raw events restricted to the cohort's members. The
 * members come from the cohort oracle (plain SQL with the alias map applied), so a member's anonymous events before
 * identify count as theirs. One cohort is built on a trait, one on an event condition; each is asked `in` and
 * `not_in`, alone and next to another filter. "in + not in = unfiltered" (cohorts.test.ts) would let a wrong
 * membership through; these would not.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import type { CohortDefinition } from "../../../shared/cohorts.ts";
import type { FunnelInput } from "../../../shared/funnel.ts";
import { pathsInputSchema } from "../../../shared/paths.ts";
import { retentionInputSchema } from "../../../shared/retention.ts";
import type { Services } from "../../services.ts";
import {
  seededRandom,
  shuffled,
  storeTestEvents,
  TEST_USER_AGENTS,
  type TestEvent,
  testEvent,
} from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { oracleCohortMembers } from "../../test-support/cohort-oracle.ts";
import { DATABASE_KINDS, type DatabaseKind, openEitherServices } from "../../test-support/either-database.ts";
import { oracleFilterSql, registerOracleCohort } from "../../test-support/filter-oracle.ts";
import { oracleFunnel, oraclePeople } from "../../test-support/funnel-oracle.ts";
import { fetchOracleEvents, oracleIntervalNumber, oracleIntervalStarts } from "../../test-support/journeys-oracle.ts";
import { oraclePaths, sortedLinks, sortedNodes } from "../../test-support/paths-oracle.ts";
import { oracleRetention } from "../../test-support/retention-oracle.ts";
import { expectVisitTotals, oracleEntryExit, oracleVisitTotals } from "../../test-support/visit-oracle.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
// Four weeks of data ending a week ago (inside any retention horizon), every window below a fixed range.
const BASE = Math.floor(Date.now() / DAY) * DAY - 35 * DAY;
const FROM = BASE + 2 * DAY + 7 * HOUR;
const TO = BASE + 27 * DAY + 5 * HOUR;
const PAGES = ["/", "/pricing", "/docs", "/checkout", "/signup"];
const NAMES = ["page_view", "page_view", "page_view", "signup", "purchase", "button_click"];
const PLANS = ["pro", "free", "Pro Plus", "team"];
const FIREFOX = TEST_USER_AGENTS[3]!;

/**
 * 48 people over 4 weeks. Two of three start anonymous (anon-p) and identify mid-way, with a plan trait on the
 * identify; the others get theirs by `$set`; every fifth has none. Sessions of page views, signups, purchases and
 * clicks; some sessions have no distinct_id at all (they belong to nobody, so never to a cohort).
 */
function events(projectId: string): TestEvent[] {
  const random = seededRandom(16);
  const rows: TestEvent[] = [];
  for (let p = 0; p < 48; p++) {
    const id = `person-${p}`;
    const linked = p % 3 !== 0;
    const identifyDay = 3 + Math.floor(random() * 20);
    const plan = p % 5 === 4 ? null : PLANS[p % PLANS.length]!;
    const agent = p % 4 === 1 ? FIREFOX : TEST_USER_AGENTS[p % 3]!;
    const sessions = 2 + Math.floor(random() * 6);
    for (let s = 0; s < sessions; s++) {
      const day = Math.floor(random() * 28);
      let at = BASE + day * DAY + Math.floor(random() * 20 * HOUR);
      const who = linked && day < identifyDay ? `anon-${p}` : id;
      const length = 1 + Math.floor(random() * 7);
      for (let e = 0; e < length; e++) {
        rows.push(
          testEvent(projectId, {
            eventName: e === 0 ? "page_view" : NAMES[Math.floor(random() * NAMES.length)]!,
            at,
            distinctId: who,
            sessionId: `s-${p}-${s}`,
            path: PAGES[Math.floor(random() * PAGES.length)]!,
            userAgent: agent,
          }),
        );
        at += Math.floor(random() * 25 * MINUTE);
      }
    }
    const at = BASE + identifyDay * DAY + 21 * HOUR;
    if (linked) {
      rows.push(
        testEvent(projectId, {
          eventName: "$identify",
          at,
          distinctId: id,
          sessionId: `s-id-${p}`,
          path: "/login",
          userAgent: agent,
          properties: { $anon_distinct_id: `anon-${p}`, ...(plan === null ? {} : { plan }) },
        }),
      );
    } else if (plan !== null) {
      rows.push(
        testEvent(projectId, {
          eventName: "settings",
          at,
          distinctId: id,
          sessionId: `s-set-${p}`,
          path: "/settings",
          userAgent: agent,
          properties: { $set: { plan } },
        }),
      );
    }
  }
  for (let s = 0; s < 12; s++) {
    const at = BASE + (2 * s + 1) * DAY + 9 * HOUR;
    for (let e = 0; e < 3; e++) {
      rows.push(testEvent(projectId, { at: at + e * MINUTE, sessionId: `nobody-${s}`, path: PAGES[(s + e) % 5] }));
    }
  }
  return rows;
}

/** The two cohorts: one on a trait (contains, so "Pro Plus" too), one on an event condition with a filter. */
const TRAIT: CohortDefinition = {
  groups: [{ conditions: [{ type: "trait", key: "plan", op: "contains", value: "pro" }] }],
};
const EVENT: CohortDefinition = {
  groups: [
    {
      conditions: [
        {
          type: "performed",
          event: "page_view",
          filters: [{ dimension: "path", op: "eq", value: "/checkout" }],
          operator: "at_least",
          count: 2,
          window: { kind: "range", from: iso(BASE), to: iso(BASE + 28 * DAY) },
        },
      ],
    },
  ],
};

interface Setup {
  services: Services;
  owner: SignedInUser;
  projectId: string;
  close(): Promise<void>;
}

async function setUp(kind: DatabaseKind): Promise<Setup> {
  const { services, close } = await openEitherServices(kind);
  const owner = await registerAndSignIn(services);
  const projectId = (await owner.caller.projects.create({ name: "Cohort filters" })).project.id;
  await storeTestEvents(services.db, shuffled(events(projectId)), 60);
  return { services, owner, projectId, close };
}

for (const kind of DATABASE_KINDS) {
  describe(`the cohort filter on the analyses (${kind})`, () => {
    let s: Setup;
    /** Each case: a name and its filters, the cohorts' ids filled in once they exist. */
    let cases: Array<{ name: string; filters: AnalyticsFilter[] }> = [];
    let eventCohort = "";

    beforeAll(async () => {
      s = await setUp(kind);
      const ids: Record<string, string> = {};
      for (const [name, definition] of [
        ["trait", TRAIT],
        ["event", EVENT],
      ] as const) {
        const cohort = await s.owner.caller.cohorts.create({ projectId: s.projectId, name, definition });
        ids[name] = cohort.id;
        const members = await oracleCohortMembers(s.services.db, s.projectId, definition, Date.now());
        // A case proves something only if the cohort is neither empty nor everyone, and if its members' anonymous
        // ids (whose events only the alias map makes theirs) are among them.
        expect(members.persons.size).toBeGreaterThan(3);
        expect(members.persons.size).toBeLessThan(40);
        expect(members.ids.some((id) => id.startsWith("anon-"))).toBe(true);
        registerOracleCohort(cohort.id, members.ids);
      }
      eventCohort = ids.event!;
      const cohort = (name: string, op: "in" | "not_in"): AnalyticsFilter => ({
        dimension: "cohort",
        op,
        value: ids[name]!,
      });
      cases = [
        { name: "trait cohort in", filters: [cohort("trait", "in")] },
        { name: "trait cohort not_in", filters: [cohort("trait", "not_in")] },
        { name: "event cohort in", filters: [cohort("event", "in")] },
        { name: "event cohort not_in", filters: [cohort("event", "not_in")] },
        {
          name: "trait cohort in, browser neq Firefox",
          filters: [cohort("trait", "in"), { dimension: "browser", op: "neq", value: "Firefox" }],
        },
        {
          name: "event cohort not_in, path neq /docs",
          filters: [cohort("event", "not_in"), { dimension: "path", op: "neq", value: "/docs" }],
        },
      ];
    }, 120_000);

    afterAll(async () => {
      await s.close();
    });

    const range = () => ({ projectId: s.projectId, from: iso(FROM), to: iso(TO) });
    const forEachCase = async (check: (filters: AnalyticsFilter[], name: string) => Promise<void>) => {
      expect(cases.length).toBe(6);
      for (const { name, filters } of cases) await check(filters, name);
    };

    it("counts funnel steps and median times like the oracle's walk over the members' raw events", async () => {
      await forEachCase(async (filters, name) => {
        const inputs: FunnelInput[] = [
          { ...range(), steps: [{ event: "page_view" }, { event: "signup" }, { event: "purchase" }], filters },
          {
            ...range(),
            steps: [
              { event: "page_view", filters: [{ dimension: "path", op: "eq", value: "/pricing" }] },
              { event: "purchase" },
            ],
            windowSeconds: 3 * 86_400,
            countBy: "sessions",
            breakdown: "browser",
            filters,
          },
        ];
        for (const input of inputs) {
          const answer = await s.owner.caller.analytics.funnel(input);
          const expected = await oracleFunnel(s.services.db, s.projectId, input);
          expect({ name, answer }).toEqual({ name, answer: { ...expected, rawDataFrom: null } });
          expect(expected.steps[1]!.count).toBeGreaterThan(0);
        }
      });
    });

    it("applies a cohort given as a step's filter to that step only", async () => {
      for (const op of ["in", "not_in"] as const) {
        const input: FunnelInput = {
          ...range(),
          steps: [
            { event: "page_view" },
            { event: "signup", filters: [{ dimension: "cohort", op, value: eventCohort }] },
            { event: "purchase" },
          ],
          windowSeconds: 7 * 86_400,
        };
        const answer = await s.owner.caller.analytics.funnel(input);
        const expected = await oracleFunnel(s.services.db, s.projectId, input);
        expect({ op, answer }).toEqual({ op, answer: { ...expected, rawDataFrom: null } });
        expect(expected.steps[2]!.count).toBeGreaterThan(0);
      }
    });

    it("lists the funnel's people by level and drop-off like the oracle", async () => {
      await forEachCase(async (filters, name) => {
        const steps = [{ event: "page_view" }, { event: "signup" }, { event: "purchase" }];
        for (const [step, dropped] of [
          [2, false],
          [3, true],
        ] as const) {
          const input = { ...range(), steps, windowSeconds: 7 * 86_400, filters, step, dropped };
          const page = await s.owner.caller.analytics.funnelPeople(input);
          expect(page.nextCursor).toBeNull();
          expect({ name, step, people: page.items.map((item) => item.distinctId).sort() }).toEqual({
            name,
            step,
            people: await oraclePeople(s.services.db, s.projectId, input),
          });
        }
      });
    });

    it("fills every retention cell like the oracle over the members' raw events", async () => {
      await forEachCase(async (filters, name) => {
        for (const fields of [
          { interval: "week", periods: 4 },
          { interval: "day", periods: 10, startEvent: "signup", returnEvent: "purchase", timezone: "Asia/Kolkata" },
        ] as const) {
          const input = retentionInputSchema.parse({ ...range(), ...fields, filters });
          const zone = input.timezone ?? "UTC";
          const before = Date.now();
          const answer = await s.owner.caller.analytics.retention({ ...range(), ...fields, filters });
          const now = Date.now();
          // The current interval is partial: an answer computed across an interval boundary would differ by right.
          const nowNumber = await oracleIntervalNumber(s.services.db, now, input.interval, zone);
          expect(await oracleIntervalNumber(s.services.db, before, input.interval, zone)).toBe(nowNumber);
          const expected = oracleRetention(
            await fetchOracleEvents(s.services.db, s.projectId, zone, filters),
            await oracleIntervalStarts(s.services.db, FROM, TO, input.interval, zone),
            now,
            nowNumber,
            input,
          );
          expect({ name, fields, answer }).toEqual({ name, fields, answer: { ...expected, rawDataFrom: null } });
          expect(expected.cohorts.some((c) => c.returned.slice(1).some((n) => n > 0))).toBe(true);
        }
      });
    });

    it("walks paths like the oracle over the members' raw events", async () => {
      await forEachCase(async (filters, name) => {
        for (const fields of [
          { start: { kind: "page", value: "/" }, steps: 3, limitPerStep: 2 },
          { start: { kind: "event", value: "purchase" }, direction: "before", steps: 2 },
        ] as const) {
          const answer = await s.owner.caller.analytics.paths({ ...range(), ...fields, filters });
          const parsed = pathsInputSchema.parse({ ...range(), ...fields });
          const expected = oraclePaths(
            await fetchOracleEvents(s.services.db, s.projectId, "UTC", filters),
            {
              kind: parsed.start.kind,
              value: parsed.start.value,
              direction: parsed.direction,
              steps: parsed.steps,
              limit: parsed.limitPerStep,
            },
            FROM,
            TO,
          );
          expect({
            name,
            fields,
            answer: { nodes: sortedNodes(answer.nodes), links: sortedLinks(answer.links) },
          }).toEqual({ name, fields, answer: expected });
          expect(expected.nodes.length).toBeGreaterThan(2);
        }
      });
    });

    it("ranks entry and exit pages and computes the visit metrics like SQL over the members' visits", async () => {
      await forEachCase(async (filters, name) => {
        const matching = sql.join(filters.map(oracleFilterSql), sql` and `);
        for (const side of ["entry", "exit"] as const) {
          const rows = await s.owner.caller.analytics.entryExitPages({ ...range(), side, filters, limit: 100 });
          const expected = await oracleEntryExit(s.services.db, s.projectId, FROM, TO, side, matching);
          expect({ name, side, rows }).toEqual({ name, side, rows: expected });
          expect(expected.length).toBeGreaterThan(1);
        }
        const overview = await s.owner.caller.analytics.overview({ ...range(), filters });
        const visits = await oracleVisitTotals(s.services.db, s.projectId, FROM, TO, matching);
        expect(visits.visits).toBeGreaterThan(0);
        expectVisitTotals(overview, visits, name);
      });
    });
  });
}
