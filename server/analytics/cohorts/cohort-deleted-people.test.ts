/**
 * A deleted person (people.delete) leaves every cohort, on PostgreSQL and on PGlite. The cohorts that would keep
 * them are those an absent person satisfies: "did not perform", "performed at most 0 times", "trait neq", "not in
 * another cohort". Before the deletion the person is a member of each (so the case proves something); afterwards
 * each cohort's members (person nums) and size equal the cohort oracle (plain SQL over the remaining raw events,
 * analytics_users and the alias map), and the cohort-filtered overview equals plain SQL over the remaining events.
 * The same for a person retention removes whole.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import type { CohortDefinition } from "../../../shared/cohorts.ts";
import { queryRows } from "../../db/client.ts";
import { applyRetention } from "../../pipeline/retention/apply-retention.ts";
import type { Services } from "../../services.ts";
import { storeTestEvents, type TestEvent, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { oracleCohortMembers } from "../../test-support/cohort-oracle.ts";
import { DATABASE_KINDS, type DatabaseKind, openEitherServices } from "../../test-support/either-database.ts";
import { getPerson } from "../people/get-person.ts";
import { computeCohortMembers } from "./compute-cohort-members.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
// Whole hours, events at half past: relative windows evaluated a few seconds later see the same events.
const NOW = Math.floor(Date.now() / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const at = (day: number, hour: number) => NOW - day * DAY - hour * HOUR - 30 * 60_000;

/**
 * Ten people (all buy, some are "pro"), one who never buys (no plan), and the one deleted: an anonymous id linked
 * by identify, a "free" plan, page views only.
 */
function events(projectId: string): TestEvent[] {
  const rows: TestEvent[] = [];
  for (let p = 0; p < 10; p++) {
    const id = `user-${p}`;
    for (let e = 0; e < 3; e++) {
      const day = (p * 3 + e * 5) % 25;
      rows.push(
        testEvent(projectId, {
          eventName: (p + e) % 3 === 0 ? "purchase" : "page_view",
          at: at(day, e),
          distinctId: id,
          sessionId: `s-${id}-${day}`,
          path: e % 2 ? "/pricing" : "/docs",
        }),
      );
    }
    rows.push(
      testEvent(projectId, {
        eventName: "settings",
        at: at(p + 1, 5),
        distinctId: id,
        sessionId: `s-set-${p}`,
        path: "/settings",
        properties: { $set: { plan: p % 3 ? "free" : "pro" } },
      }),
    );
  }
  // Someone else who never buys: the absence cohorts keep a member once the deleted person is gone.
  for (const day of [3, 15])
    rows.push(
      testEvent(projectId, { at: at(day, 4), distinctId: "user-quiet", sessionId: `s-quiet-${day}`, path: "/" }),
    );
  rows.push(
    testEvent(projectId, { at: at(4, 2), distinctId: "anon-gone", sessionId: "s-gone", path: "/pricing" }),
    testEvent(projectId, { at: at(4, 1), distinctId: "anon-gone", sessionId: "s-gone", path: "/docs" }),
    testEvent(projectId, {
      eventName: "$identify",
      at: at(4, 0),
      distinctId: "user-gone",
      sessionId: "s-gone",
      path: "/login",
      properties: { $anon_distinct_id: "anon-gone", $set: { plan: "free" } },
    }),
    testEvent(projectId, { at: at(2, 3), distinctId: "user-gone", sessionId: "s-gone-2", path: "/docs" }),
  );
  return rows;
}

const BOUGHT: CohortDefinition = {
  groups: [
    {
      conditions: [
        {
          type: "performed",
          event: "purchase",
          operator: "at_least",
          count: 1,
          window: { kind: "relative", days: 30 },
        },
      ],
    },
  ],
};

/** The absence cohorts; "not a buyer" refers to BOUGHT (created first, its id filled in). */
const ABSENCE: Array<{ name: string; definition: (boughtId: string) => CohortDefinition }> = [
  {
    name: "did not purchase in 10 days",
    definition: () => ({
      groups: [{ conditions: [{ type: "not_performed", event: "purchase", window: { kind: "relative", days: 10 } }] }],
    }),
  },
  {
    name: "did not purchase in a fixed range",
    definition: () => ({
      groups: [
        {
          conditions: [
            {
              type: "not_performed",
              event: "purchase",
              window: { kind: "range", from: iso(NOW - 20 * DAY), to: iso(NOW - DAY) },
            },
          ],
        },
      ],
    }),
  },
  {
    name: "purchased at most 0 times in 30 days",
    definition: () => ({
      groups: [
        {
          conditions: [
            {
              type: "performed",
              event: "purchase",
              operator: "at_most",
              count: 0,
              window: { kind: "relative", days: 30 },
            },
          ],
        },
      ],
    }),
  },
  {
    name: "plan is not pro",
    definition: () => ({ groups: [{ conditions: [{ type: "trait", key: "plan", op: "neq", value: "pro" }] }] }),
  },
  {
    name: "not a buyer",
    definition: (boughtId) => ({ groups: [{ conditions: [{ type: "cohort", op: "not_in", cohortId: boughtId }] }] }),
  },
];

interface Setup {
  services: Services;
  owner: SignedInUser;
  projectId: string;
  close(): Promise<void>;
}

async function setUp(kind: DatabaseKind): Promise<Setup> {
  const { services, close } = await openEitherServices(kind);
  const owner = await registerAndSignIn(services);
  const projectId = (await owner.caller.projects.create({ name: "Deleted people" })).project.id;
  await storeTestEvents(services.db, events(projectId), 20);
  return { services, owner, projectId, close };
}

for (const kind of DATABASE_KINDS) {
  describe(`cohorts after people.delete (${kind})`, () => {
    let s: Setup;
    let boughtId: string;
    const cohorts: Array<{ name: string; id: string; definition: CohortDefinition }> = [];

    beforeAll(async () => {
      s = await setUp(kind);
      boughtId = (await s.owner.caller.cohorts.create({ projectId: s.projectId, name: "bought", definition: BOUGHT }))
        .id;
      for (const { name, definition } of ABSENCE) {
        const made = await s.owner.caller.cohorts.create({
          projectId: s.projectId,
          name,
          definition: definition(boughtId),
        });
        cohorts.push({ name, id: made.id, definition: made.definition });
      }
    }, 120_000);

    afterAll(async () => {
      await s?.close();
    });

    /** The engine's members (person nums) and size, beside the oracle's, per cohort (of the main project). */
    async function compare(projectId = s.projectId, list = cohorts) {
      const out = [];
      const load = async (id: string) =>
        id === boughtId ? BOUGHT : (list.find((cohort) => cohort.id === id)?.definition ?? null);
      for (const cohort of list) {
        const got = await computeCohortMembers(
          s.services.db,
          s.services.engine,
          { projectId, definition: cohort.definition, at: Date.now(), cohortId: cohort.id },
          load,
        );
        const nums: number[] = [];
        for (const [num, member] of got.members.entries()) if (member === 1) nums.push(num);
        const { size } = await s.owner.caller.cohorts.get({ projectId, cohortId: cohort.id });
        const expected = await oracleCohortMembers(s.services.db, projectId, cohort.definition, Date.now());
        out.push({
          name: cohort.name,
          got: { nums, size },
          expected: { nums: [...expected.persons].sort((a, b) => a - b), size: expected.persons.size },
          ids: expected.ids,
        });
      }
      return out;
    }

    /** Events, sessions and people of the last 30 days whose distinct id is (or is not) among `ids`, by plain SQL. */
    async function oracleOverview(ids: readonly string[], member: boolean) {
      const list = sql.join(
        ids.map((id) => sql`${id}::text`),
        sql`, `,
      );
      const test = ids.length ? sql`coalesce(e.distinct_id in (${list}), false)` : sql`false`;
      const [row] = await queryRows<{ events: string; sessions: string; people: string }>(
        s.services.db,
        sql`select count(*) as events, count(distinct e.session_id) as sessions,
                   count(distinct coalesce(l.person_num, u.num)) as people
              from events e
              left join analytics_users u on u.project_id = e.project_id and u.distinct_id = e.distinct_id
              left join analytics_person_links l on l.project_id = u.project_id and l.alias_num = u.num
             where e.project_id = ${s.projectId}::uuid and e.timestamp >= ${iso(NOW - 30 * DAY)}::timestamptz
               and e.timestamp < ${iso(NOW)}::timestamptz and ${member ? test : sql`not ${test}`}`,
      );
      return {
        totalEvents: Number(row!.events),
        uniqueSessions: Number(row!.sessions),
        uniqueUsers: Number(row!.people),
      };
    }

    async function expectFilteredOverviews(all: Awaited<ReturnType<typeof compare>>) {
      for (const cohort of all) {
        for (const op of ["in", "not_in"] as const) {
          const filters: AnalyticsFilter[] = [
            { dimension: "cohort", op, value: cohorts.find((c) => c.name === cohort.name)!.id },
          ];
          const got = await s.owner.caller.analytics.overview({
            projectId: s.projectId,
            from: iso(NOW - 30 * DAY),
            to: iso(NOW),
            filters,
          });
          expect({ cohort: cohort.name, op, figures: pick(got) }).toEqual({
            cohort: cohort.name,
            op,
            figures: await oracleOverview(cohort.ids, op === "in"),
          });
        }
      }
    }

    it("counts the person in every absence cohort before the deletion, like the oracle", async () => {
      const before = await compare();
      for (const cohort of before) {
        expect({ name: cohort.name, ...cohort.got }).toEqual({ name: cohort.name, ...cohort.expected });
        expect({ name: cohort.name, gone: cohort.ids.includes("user-gone") }).toEqual({
          name: cohort.name,
          gone: true,
        });
      }
      await expectFilteredOverviews(before);
    });

    it("counts them nowhere after people.delete: members, sizes and filtered overviews equal the oracle", async () => {
      const [gone] = await queryRows<{ num: string }>(
        s.services.db,
        sql`select num from analytics_users where project_id = ${s.projectId}::uuid and distinct_id = 'user-gone'`,
      );
      const deleted = await s.owner.caller.people.delete({ projectId: s.projectId, distinctId: "anon-gone" });
      expect(deleted.distinctIds.sort()).toEqual(["anon-gone", "user-gone"]);
      const after = await compare();
      for (const cohort of after) {
        expect({ name: cohort.name, ...cohort.got }).toEqual({ name: cohort.name, ...cohort.expected });
        expect(cohort.got.nums).not.toContain(Number(gone!.num));
        expect(cohort.got.size).toBeGreaterThan(0);
      }
      const listed = await s.owner.caller.cohorts.list({ projectId: s.projectId });
      for (const cohort of after) {
        expect(listed.items.find((item) => item.name === cohort.name)?.size).toBe(cohort.expected.size);
      }
      await expectFilteredOverviews(after);
    });

    it("counts a person retention removed nowhere either", async () => {
      const projectId = (await s.owner.caller.projects.create({ name: "Retained" })).project.id;
      const rows = [
        // Only events past a 30-day retention: the person goes whole (follow-removed-events.ts).
        testEvent(projectId, {
          eventName: "settings",
          at: at(40, 0),
          distinctId: "user-old",
          sessionId: "s-old",
          path: "/settings",
          properties: { $set: { plan: "free" } },
        }),
        testEvent(projectId, { at: at(35, 0), distinctId: "user-old", sessionId: "s-old-2", path: "/" }),
        testEvent(projectId, { at: at(3, 0), distinctId: "user-new", sessionId: "s-new", path: "/" }),
        testEvent(projectId, { eventName: "purchase", at: at(2, 0), distinctId: "user-buyer", sessionId: "s-b" }),
      ];
      await storeTestEvents(s.services.db, rows);
      const list = [];
      for (const [name, definition] of [
        [
          "no purchase in 60 days",
          {
            groups: [
              {
                conditions: [
                  {
                    type: "not_performed",
                    event: "purchase",
                    window: { kind: "range", from: iso(NOW - 60 * DAY), to: iso(NOW) },
                  },
                ],
              },
            ],
          },
        ],
        ["plan is not pro", { groups: [{ conditions: [{ type: "trait", key: "plan", op: "neq", value: "pro" }] }] }],
      ] as Array<[string, CohortDefinition]>) {
        const made = await s.owner.caller.cohorts.create({ projectId, name, definition });
        list.push({ name, id: made.id, definition: made.definition });
      }
      const [old] = await queryRows<{ num: string }>(
        s.services.db,
        sql`select num from analytics_users where project_id = ${projectId}::uuid and distinct_id = 'user-old'`,
      );
      for (const cohort of await compare(projectId, list)) {
        expect({ name: cohort.name, ...cohort.got }).toEqual({ name: cohort.name, ...cohort.expected });
        expect(cohort.got.nums).toContain(Number(old!.num));
      }
      await s.services.db.execute(sql`update projects set retention_days = 30 where id = ${projectId}::uuid`);
      await applyRetention(s.services.db, Date.now());
      expect(await getPerson(s.services.db, { projectId, distinctId: "user-old" })).toBeNull();
      for (const cohort of await compare(projectId, list)) {
        expect({ name: cohort.name, ...cohort.got }).toEqual({ name: cohort.name, ...cohort.expected });
        expect(cohort.got.nums).not.toContain(Number(old!.num));
        expect(cohort.got.size).toBeGreaterThan(0);
      }
    });
  });
}

function pick(overview: { totalEvents: number; uniqueSessions: number; uniqueUsers: number }) {
  return {
    totalEvents: overview.totalEvents,
    uniqueSessions: overview.uniqueSessions,
    uniqueUsers: overview.uniqueUsers,
  };
}
