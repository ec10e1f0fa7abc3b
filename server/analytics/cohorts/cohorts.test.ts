/**
 * Cohorts end to end through the tRPC caller, on PostgreSQL and on PGlite: every condition kind against the cohort
 * oracle (server/test-support/cohort-oracle.ts: plain SQL over raw events with the alias map applied), sizes now and
 * at the start of a range, the cohort filter on people.list against the same oracle (cohort references by member
 * set too), on the HTTP export (events of the members' ids, plain SQL), and on the analyses
 * (funnel, funnelPeople, retention, paths) as an exact partition: in + not in = unfiltered, person by person.
 * Refusals: cycles and unknown references (BAD_REQUEST at the reference's path), deleting a referenced cohort
 * (CONFLICT), malformed definitions (the zod path), tenancy (NOT_FOUND for another project's cohort).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import type { ZodError } from "zod";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import type { CohortDefinition } from "../../../shared/cohorts.ts";
import { queryRows } from "../../db/client.ts";
import { createApp } from "../../http/app.ts";
import type { Services } from "../../services.ts";
import { seededRandom, storeTestEvents, type TestEvent, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { oracleCanonicalIds, oracleCohortMembers } from "../../test-support/cohort-oracle.ts";
import { DATABASE_KINDS, type DatabaseKind, openEitherServices } from "../../test-support/either-database.ts";
import { failure } from "../../test-support/trpc-failure.ts";
import { readExportChunk } from "../read-export-chunk.ts";
import { resolveCohortFilters } from "./resolve-cohort-filters.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
// Events sit at whole hours + 30 min before NOW: relative windows evaluated a few seconds later see the same events.
const NOW = Math.floor(Date.now() / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

/** 40 people over 40 days: anonymous ids linked by identify, purchases, pricing views, traits by identify and $set. */
function cohortEvents(projectId: string): TestEvent[] {
  const random = seededRandom(5);
  const rows: TestEvent[] = [];
  const plans = ["free", "pro", "Pro Plus", 42, null];
  for (let p = 0; p < 40; p++) {
    const id = `user-${p}`;
    const anon = `anon-${p}`;
    const linked = p % 3 !== 0;
    const at = (day: number, hour: number) => NOW - day * DAY - hour * HOUR - 30 * 60_000;
    const events = Math.floor(random() * 9);
    for (let e = 0; e < events; e++) {
      const day = Math.floor(random() * 40);
      const who = linked && random() < 0.5 ? anon : id;
      const name = random() < 0.4 ? "purchase" : "page_view";
      rows.push(
        testEvent(projectId, {
          eventName: name,
          at: at(day, e % 20),
          distinctId: who,
          sessionId: `s-${who}-${day}`,
          path: random() < 0.5 ? "/pricing" : "/docs",
          properties: { amount: Math.floor(random() * 100) },
        }),
      );
    }
    if (linked) {
      const plan = plans[p % plans.length];
      const traits: Record<string, unknown> = plan === null ? {} : { plan };
      if (p % 4 === 0) traits.email = `${id}@Example.test`;
      rows.push(
        testEvent(projectId, {
          eventName: "$identify",
          at: at(1 + (p % 30), 21),
          distinctId: id,
          sessionId: `s-id-${p}`,
          path: "/login",
          properties: { $anon_distinct_id: anon, ...traits },
        }),
      );
    } else {
      rows.push(
        testEvent(projectId, {
          at: at(2 + (p % 20), 22),
          distinctId: id,
          sessionId: `s-set-${p}`,
          path: "/settings",
          properties: { $set: { plan: p % 2 ? "pro" : "free", email: p % 6 === 0 ? "" : `${id}@x.test` } },
        }),
      );
    }
  }
  return rows;
}

interface Setup {
  services: Services;
  owner: SignedInUser;
  stranger: SignedInUser;
  projectId: string;
  strangerProjectId: string;
  close(): Promise<void>;
}

async function setUp(kind: DatabaseKind): Promise<Setup> {
  const { services, close } = await openEitherServices(kind);
  const owner = await registerAndSignIn(services);
  const stranger = await registerAndSignIn(services);
  const projectId = (await owner.caller.projects.create({ name: "Cohorts" })).project.id;
  const strangerProjectId = (await stranger.caller.projects.create({ name: "Theirs" })).project.id;
  await storeTestEvents(services.db, cohortEvents(projectId), 50);
  return { services, owner, stranger, projectId, strangerProjectId, close };
}

const performed = (
  operator: "at_least" | "at_most" | "exactly",
  count: number,
  days: number,
  filters?: AnalyticsFilter[],
): CohortDefinition["groups"][number]["conditions"][number] => ({
  type: "performed",
  event: "purchase",
  operator,
  count,
  window: { kind: "relative", days },
  ...(filters ? { filters: filters as never } : {}),
});

/** Every condition kind, alone and combined. */
const CASES: Array<{ name: string; definition: CohortDefinition }> = [
  { name: "performed at least 2 in 30 days", definition: { groups: [{ conditions: [performed("at_least", 2, 30)] }] } },
  {
    name: "performed at most 1 in 30 days (none included)",
    definition: { groups: [{ conditions: [performed("at_most", 1, 30)] }] },
  },
  { name: "performed exactly 1 in 14 days", definition: { groups: [{ conditions: [performed("exactly", 1, 14)] }] } },
  {
    name: "performed with filters in a fixed range",
    definition: {
      groups: [
        {
          conditions: [
            {
              type: "performed",
              event: "page_view",
              filters: [{ dimension: "path", op: "eq", value: "/pricing" }],
              operator: "at_least",
              count: 1,
              window: { kind: "range", from: iso(NOW - 25 * DAY), to: iso(NOW - 5 * DAY) },
            },
          ],
        },
      ],
    },
  },
  {
    name: "did not perform in 10 days",
    definition: {
      groups: [{ conditions: [{ type: "not_performed", event: "purchase", window: { kind: "relative", days: 10 } }] }],
    },
  },
  {
    name: "did not perform in a fixed range",
    definition: {
      groups: [
        {
          conditions: [
            {
              type: "not_performed",
              event: "purchase",
              window: { kind: "range", from: iso(NOW - 30 * DAY), to: iso(NOW - 12 * DAY) },
            },
          ],
        },
      ],
    },
  },
  {
    name: "trait eq",
    definition: { groups: [{ conditions: [{ type: "trait", key: "plan", op: "eq", value: "pro" }] }] },
  },
  {
    name: "trait eq a number",
    definition: { groups: [{ conditions: [{ type: "trait", key: "plan", op: "eq", value: "42" }] }] },
  },
  {
    name: "trait neq (missing included)",
    definition: { groups: [{ conditions: [{ type: "trait", key: "plan", op: "neq", value: "pro" }] }] },
  },
  {
    name: "trait contains",
    definition: { groups: [{ conditions: [{ type: "trait", key: "plan", op: "contains", value: "PRO" }] }] },
  },
  {
    name: "trait is_set (empty is not set)",
    definition: { groups: [{ conditions: [{ type: "trait", key: "email", op: "is_set" }] }] },
  },
  {
    name: "two groups ORed, conditions ANDed",
    definition: {
      groups: [
        { conditions: [performed("at_least", 1, 30), { type: "trait", key: "plan", op: "contains", value: "pro" }] },
        { conditions: [{ type: "not_performed", event: "page_view", window: { kind: "relative", days: 20 } }] },
      ],
    },
  },
];

for (const kind of DATABASE_KINDS) {
  describe(`cohorts (${kind})`, () => {
    let s: Setup;
    const ids = new Map<string, string>();

    beforeAll(async () => {
      s = await setUp(kind);
    }, 120_000);

    afterAll(async () => {
      await s.close();
    });

    for (const { name, definition } of CASES) {
      it(`evaluates "${name}" like SQL over raw events with the alias map`, async () => {
        const cohort = await s.owner.caller.cohorts.create({ projectId: s.projectId, name, definition });
        ids.set(name, cohort.id);
        const got = await s.owner.caller.cohorts.get({ projectId: s.projectId, cohortId: cohort.id });
        const expected = await oracleCohortMembers(s.services.db, s.projectId, definition, Date.now());
        expect(got.size).toBe(expected.persons.size);
        expect(expected.persons.size).toBeGreaterThan(0);
        // The members, as people.list lists them (every member has events here), and the complement.
        const members = await s.owner.caller.people.list({
          projectId: s.projectId,
          filters: [{ dimension: "cohort", op: "in", value: cohort.id }],
          limit: 100,
        });
        expect(members.items.map((p) => p.distinctId).sort()).toEqual(
          await oracleCanonicalIds(s.services.db, s.projectId, expected.persons),
        );
        const everyone = await s.owner.caller.people.list({ projectId: s.projectId, limit: 100 });
        const others = await s.owner.caller.people.list({
          projectId: s.projectId,
          filters: [{ dimension: "cohort", op: "not_in", value: cohort.id }],
          limit: 100,
        });
        expect(others.total + members.total).toBe(everyone.total);
      });
    }

    it("evaluates a cohort reference (in and not in) like the oracle", async () => {
      const base = ids.get("performed at least 2 in 30 days")!;
      for (const op of ["in", "not_in"] as const) {
        const definition: CohortDefinition = {
          groups: [
            {
              conditions: [
                { type: "cohort", op, cohortId: base },
                { type: "trait", key: "plan", op: "is_set" },
              ],
            },
          ],
        };
        const cohort = await s.owner.caller.cohorts.create({ projectId: s.projectId, name: `ref ${op}`, definition });
        const got = await s.owner.caller.cohorts.get({ projectId: s.projectId, cohortId: cohort.id });
        const expected = await oracleCohortMembers(s.services.db, s.projectId, definition, Date.now());
        expect(got.size).toBe(expected.persons.size);
        expect(expected.persons.size).toBeGreaterThan(0);
        // The same people, not only as many: the members as people.list lists them (every one has events here).
        const members = await s.owner.caller.people.list({
          projectId: s.projectId,
          filters: [{ dimension: "cohort", op: "in", value: cohort.id }],
          limit: 100,
        });
        expect([op, members.items.map((p) => p.distinctId).sort()]).toEqual([
          op,
          await oracleCanonicalIds(s.services.db, s.projectId, expected.persons),
        ]);
        await s.owner.caller.cohorts.delete({ projectId: s.projectId, cohortId: cohort.id });
      }
    });

    it("lists each cohort's size now and at the start of the range", async () => {
      const from = NOW - 12 * DAY;
      const list = await s.owner.caller.cohorts.list({ projectId: s.projectId, from: iso(from), to: iso(NOW) });
      expect(list.start).toBe(iso(from));
      expect(list.items.length).toBe(CASES.length);
      for (const item of list.items) {
        const now = await oracleCohortMembers(s.services.db, s.projectId, item.definition, Date.now());
        const then = await oracleCohortMembers(s.services.db, s.projectId, item.definition, from);
        expect([item.name, item.size, item.sizeAtStart]).toEqual([item.name, now.persons.size, then.persons.size]);
      }
      // The names alone (for chips and pickers): the same cohorts in the same order.
      const names = await s.owner.caller.cohorts.names({ projectId: s.projectId });
      expect(names.items).toEqual(list.items.map(({ id, name }) => ({ id, name })));
    });

    it("exports exactly the members' events, and the others' (the raw-events SQL path)", async () => {
      const cohortId = ids.get("trait contains")!;
      const { definition } = (await s.owner.caller.cohorts.get({ projectId: s.projectId, cohortId }))!;
      const { ids: memberIds } = await oracleCohortMembers(s.services.db, s.projectId, definition, Date.now());
      const range = { projectId: s.projectId, from: new Date(NOW - 41 * DAY), to: new Date(NOW + HOUR) };
      const all = await readExportChunk(s.services.db, range, null, 100_000);
      for (const op of ["in", "not_in"] as const) {
        const filters: AnalyticsFilter[] = [{ dimension: "cohort", op, value: cohortId }];
        await resolveCohortFilters(s.services.db, s.services.engine, s.projectId, [filters], Date.now());
        const rows = await readExportChunk(s.services.db, { ...range, filters }, null, 100_000);
        const expected = all.filter(
          (row) => (row.distinct_id !== null && memberIds.includes(row.distinct_id)) === (op === "in"),
        );
        expect(rows.map((row) => row.insert_id)).toEqual(expected.map((row) => row.insert_id));
        expect(rows.length).toBeGreaterThan(0);
      }
    });

    it("exports through GET /api/v1/export/events exactly the events of the members' ids (and of the others)", async () => {
      const cohortId = ids.get("did not perform in 10 days")!;
      const { definition } = (await s.owner.caller.cohorts.get({ projectId: s.projectId, cohortId }))!;
      const { ids: memberIds } = await oracleCohortMembers(s.services.db, s.projectId, definition, Date.now());
      const [from, to] = [iso(NOW - 41 * DAY), iso(NOW + HOUR)];
      const rows = await queryRows<{ line: string; distinct_id: string | null }>(
        s.services.db,
        sql`select coalesce(distinct_id, '') || '|' || coalesce(session_id, '') || '|' || event_name as line, distinct_id
              from events where project_id = ${s.projectId}::uuid
               and timestamp >= ${from}::timestamptz and timestamp < ${to}::timestamptz`,
      );
      const app = createApp(s.services);
      for (const op of ["in", "not_in"] as const) {
        const query = new URLSearchParams({
          projectId: s.projectId,
          from,
          to,
          filters: JSON.stringify([{ dimension: "cohort", op, value: cohortId }]),
        });
        const res = await app.request(`http://localhost/api/v1/export/events?${query}`, {
          headers: { authorization: `Bearer ${s.owner.login.accessToken}` },
        });
        expect(res.status).toBe(200);
        const lines = (await res.text())
          .trimEnd()
          .split("\n")
          .map((line) => JSON.parse(line) as { distinct_id: string | null; session_id: string | null; event: string })
          .map((e) => `${e.distinct_id ?? ""}|${e.session_id ?? ""}|${e.event}`);
        const expected = rows
          .filter((row) => (row.distinct_id !== null && memberIds.includes(row.distinct_id)) === (op === "in"))
          .map((row) => row.line);
        expect(lines.sort()).toEqual(expected.sort());
        expect(lines.length).toBeGreaterThan(0);
      }
    });

    it("partitions the analyses exactly: in + not in = unfiltered, for funnel, retention and paths", async () => {
      const cohortId = ids.get("trait neq (missing included)")!;
      const range = { projectId: s.projectId, from: iso(NOW - 40 * DAY), to: iso(NOW) };
      const inCohort: AnalyticsFilter[] = [{ dimension: "cohort", op: "in", value: cohortId }];
      const notIn: AnalyticsFilter[] = [{ dimension: "cohort", op: "not_in", value: cohortId }];
      const steps = [{ event: "page_view" }, { event: "purchase" }];
      const funnel = (filters?: AnalyticsFilter[]) =>
        s.owner.caller.analytics.funnel({
          ...range,
          steps,
          windowSeconds: 30 * 86_400,
          ...(filters ? { filters } : {}),
        });
      const [all, yes, no] = await Promise.all([funnel(), funnel(inCohort), funnel(notIn)]);
      all.steps.forEach((step, i) => {
        expect(yes.steps[i]!.count + no.steps[i]!.count).toBe(step.count);
      });
      expect(yes.steps[0]!.count).toBeGreaterThan(0);
      expect(no.steps[0]!.count).toBeGreaterThan(0);

      const retention = (filters?: AnalyticsFilter[]) =>
        s.owner.caller.analytics.retention({
          ...range,
          period: undefined,
          interval: "week",
          ...(filters ? { filters } : {}),
        });
      const [r, ry, rn] = await Promise.all([retention(), retention(inCohort), retention(notIn)]);
      r.cohorts.forEach((row, i) => {
        expect(ry.cohorts[i]!.size + rn.cohorts[i]!.size).toBe(row.size);
      });

      const paths = (filters?: AnalyticsFilter[]) =>
        s.owner.caller.analytics.paths({
          ...range,
          start: { kind: "page", value: "/pricing" },
          steps: 2,
          ...(filters ? { filters } : {}),
        });
      const [p, py, pn] = await Promise.all([paths(), paths(inCohort), paths(notIn)]);
      const starts = (answer: typeof p) =>
        answer.nodes.filter((n) => n.step === 0).reduce((sum, n) => sum + n.sessions, 0);
      expect(starts(py) + starts(pn)).toBe(starts(p));
    });

    it("refuses a cycle, a self-reference and an unknown cohort at the reference's path", async () => {
      const a = await s.owner.caller.cohorts.create({
        projectId: s.projectId,
        name: "A",
        definition: { groups: [{ conditions: [{ type: "trait", key: "plan", op: "is_set" }] }] },
      });
      const b = await s.owner.caller.cohorts.create({
        projectId: s.projectId,
        name: "B",
        definition: { groups: [{ conditions: [{ type: "cohort", op: "in", cohortId: a.id }] }] },
      });
      const refer = (cohortId: string) => ({
        groups: [
          {
            conditions: [
              { type: "trait" as const, key: "x", op: "is_set" as const },
              { type: "cohort" as const, op: "in" as const, cohortId },
            ],
          },
        ],
      });
      const cases: Array<[() => Promise<unknown>, RegExp]> = [
        [
          () => s.owner.caller.cohorts.update({ projectId: s.projectId, cohortId: a.id, definition: refer(b.id) }),
          /cycle.*B/,
        ],
        [
          () => s.owner.caller.cohorts.update({ projectId: s.projectId, cohortId: a.id, definition: refer(a.id) }),
          /itself/,
        ],
        [
          () =>
            s.owner.caller.cohorts.create({
              projectId: s.projectId,
              name: "C",
              definition: refer("00000000-0000-4000-8000-000000000000"),
            }),
          /unknown or deleted/,
        ],
      ];
      for (const [call, message] of cases) {
        const error = await failure(call());
        expect(error.code).toBe("BAD_REQUEST");
        expect(error.message).toMatch(message);
        expect((error.cause as unknown as ZodError).issues[0]!.path).toEqual([
          "definition",
          "groups",
          0,
          "conditions",
          1,
          "cohortId",
        ]);
      }
      // A cohort others refer to is not deleted; once they are gone, it is.
      const conflict = await failure(s.owner.caller.cohorts.delete({ projectId: s.projectId, cohortId: a.id }));
      expect(conflict.code).toBe("CONFLICT");
      expect(conflict.message).toContain('"B"');
      await s.owner.caller.cohorts.delete({ projectId: s.projectId, cohortId: b.id });
      await s.owner.caller.cohorts.delete({ projectId: s.projectId, cohortId: a.id });
      const gone = await failure(
        s.owner.caller.analytics.overview({
          projectId: s.projectId,
          filters: [{ dimension: "cohort", op: "in", value: a.id }],
        }),
      );
      expect(gone.code).toBe("NOT_FOUND");
    });

    it("refuses malformed definitions as BAD_REQUEST naming the part", async () => {
      const bad: Array<[unknown, Array<string | number>]> = [
        [{ groups: [] }, ["definition", "groups"]],
        [{ groups: [{ conditions: [] }] }, ["definition", "groups", 0, "conditions"]],
        [
          {
            groups: [
              {
                conditions: [
                  {
                    type: "performed",
                    event: "x",
                    operator: "at_least",
                    count: -1,
                    window: { kind: "relative", days: 3 },
                  },
                ],
              },
            ],
          },
          ["definition", "groups", 0, "conditions", 0, "count"],
        ],
        [
          {
            groups: [{ conditions: [{ type: "not_performed", event: "x", window: { kind: "relative", days: 366 } }] }],
          },
          ["definition", "groups", 0, "conditions", 0, "window", "days"],
        ],
        [
          { groups: [{ conditions: [{ type: "trait", key: "plan", op: "eq" }] }] },
          ["definition", "groups", 0, "conditions", 0, "value"],
        ],
        [{ groups: [{ conditions: [{ type: "nope" }] }] }, ["definition", "groups", 0, "conditions", 0, "type"]],
        [
          {
            groups: [
              {
                conditions: [
                  {
                    type: "performed",
                    event: "x",
                    operator: "at_least",
                    count: 1,
                    window: { kind: "relative", days: 3 },
                    filters: [{ dimension: "path", op: "eq", value: "" }],
                  },
                ],
              },
            ],
          },
          ["definition", "groups", 0, "conditions", 0, "filters", 0, "value"],
        ],
      ];
      for (const [definition, where] of bad) {
        const error = await failure(
          s.owner.caller.cohorts.create({ projectId: s.projectId, name: "bad", definition: definition as never }),
        );
        expect(error.code).toBe("BAD_REQUEST");
        expect((error.cause as unknown as ZodError).issues.map((i) => i.path)).toContainEqual(where);
      }
    });

    it("answers NOT_FOUND for another project's cohort, as a read, a write and a filter", async () => {
      const cohortId = ids.get("trait eq")!;
      const theirs = s.strangerProjectId;
      const calls: Array<() => Promise<unknown>> = [
        () => s.stranger.caller.cohorts.get({ projectId: s.projectId, cohortId }),
        () => s.stranger.caller.cohorts.list({ projectId: s.projectId }),
        () => s.stranger.caller.cohorts.names({ projectId: s.projectId }),
        () => s.stranger.caller.cohorts.delete({ projectId: s.projectId, cohortId }),
        () => s.stranger.caller.cohorts.get({ projectId: theirs, cohortId }),
        () => s.stranger.caller.cohorts.update({ projectId: theirs, cohortId, name: "mine" }),
        () => s.stranger.caller.cohorts.delete({ projectId: theirs, cohortId }),
        () =>
          s.stranger.caller.analytics.overview({
            projectId: theirs,
            filters: [{ dimension: "cohort", op: "in", value: cohortId }],
          }),
        () =>
          s.stranger.caller.cohorts.create({
            projectId: theirs,
            name: "steal",
            definition: { groups: [{ conditions: [{ type: "cohort", op: "in", cohortId }] }] },
          }),
      ];
      const codes = [];
      for (const call of calls) codes.push((await failure(call())).code);
      expect(codes).toEqual([
        "NOT_FOUND",
        "NOT_FOUND",
        "NOT_FOUND",
        "NOT_FOUND",
        "NOT_FOUND",
        "NOT_FOUND",
        "NOT_FOUND",
        "NOT_FOUND",
        "BAD_REQUEST",
      ]);
    });
  });
}
