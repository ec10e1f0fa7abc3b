/**
 * The shared evaluation (cohort-evaluations.ts), on PostgreSQL and PGlite: the calls of one dashboard load (a
 * cohort's size, overview filtered by it) evaluate its event conditions once between them, and the answers stay
 * exact when events arrive (the version moves by an added segment: the next call counts only its events) or a person
 * is deleted (segments rewritten: the next call counts afresh), next to the cohort oracle (plain SQL over raw events
 * with the alias map applied).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import type { CohortDefinition } from "../../../shared/cohorts.ts";
import { queryRows } from "../../db/client.ts";
import type { Services } from "../../services.ts";
import { storeTestEvents, type TestEvent, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { oracleCohortMembers } from "../../test-support/cohort-oracle.ts";
import { DATABASE_KINDS, openEitherServices } from "../../test-support/either-database.ts";
import { cohortEvaluationsOf } from "./cohort-evaluations.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Math.floor(Date.now() / HOUR) * HOUR;

/** 12 people: purchases spread over 40 days, some signups, half of them with an anonymous id linked by identify. */
function events(projectId: string): TestEvent[] {
  const rows: TestEvent[] = [];
  for (let p = 0; p < 12; p++) {
    const id = `buyer-${p}`;
    const anon = `anon-${p}`;
    for (let e = 0; e < 1 + (p % 4); e++) {
      const at = NOW - ((p * 7 + e * 11) % 40) * DAY - 30 * 60_000;
      const who = p % 2 === 0 && e % 2 === 1 ? anon : id;
      rows.push(testEvent(projectId, { eventName: "purchase", at, distinctId: who, sessionId: `s-${who}-${e}` }));
    }
    if (p % 3 === 0) {
      rows.push(
        testEvent(projectId, { eventName: "signup", at: NOW - (p + 1) * DAY, distinctId: id, sessionId: `g-${p}` }),
      );
    }
    if (p % 2 === 0) {
      rows.push(
        testEvent(projectId, {
          eventName: "$identify",
          at: NOW - 2 * DAY,
          distinctId: id,
          sessionId: `i-${p}`,
          properties: { $anon_distinct_id: anon },
        }),
      );
    }
  }
  return rows;
}

const TWO_CONDITIONS: CohortDefinition = {
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
        { type: "not_performed", event: "signup", window: { kind: "relative", days: 30 } },
      ],
    },
  ],
};

const open = openEitherServices;

for (const kind of DATABASE_KINDS) {
  describe(`cohorts: one evaluation shared by the calls (${kind})`, () => {
    let services: Services;
    let close: () => Promise<void>;
    let owner: SignedInUser;
    let projectId: string;

    beforeAll(async () => {
      ({ services, close } = await open(kind));
      owner = await registerAndSignIn(services);
      projectId = (await owner.caller.projects.create({ name: "Sharing" })).project.id;
      await storeTestEvents(services.db, events(projectId), 50);
    }, 120_000);

    afterAll(async () => {
      await close();
    });

    /** The cohort's size and overview's events filtered by it, next to the oracle and SQL over raw events. */
    async function answersAndOracle(cohortId: string) {
      const range = { projectId, from: new Date(NOW - 30 * DAY).toISOString(), to: new Date(NOW + HOUR).toISOString() };
      const filters: AnalyticsFilter[] = [{ dimension: "cohort", op: "in", value: cohortId }];
      const got = await owner.caller.cohorts.get({ projectId, cohortId });
      const overview = await owner.caller.analytics.overview({ ...range, filters });
      const expected = await oracleCohortMembers(services.db, projectId, TWO_CONDITIONS, Date.now());
      const [row] = await queryRows<{ n: number }>(
        services.db,
        sql`select count(*)::int as n from events where project_id = ${projectId}::uuid
             and timestamp >= ${range.from}::timestamptz and timestamp < ${range.to}::timestamptz
             and distinct_id in (select json_array_elements_text(${JSON.stringify(expected.ids)}::json))`,
      );
      return {
        got: { size: got.size, events: overview.totalEvents },
        want: { size: expected.persons.size, events: row!.n },
        ids: expected.ids,
      };
    }

    it("evaluates the conditions once for a size and a filtered overview, and again only when the data changes", async () => {
      const { id: cohortId } = await owner.caller.cohorts.create({
        projectId,
        name: "buyers without signup",
        definition: TWO_CONDITIONS,
      });
      const counters = cohortEvaluationsOf(services.engine).counters;
      const scans = counters.scans;
      const appends = counters.appends;
      const liveReads = counters.liveReads;
      const first = await answersAndOracle(cohortId);
      expect(first.got).toEqual(first.want);
      expect(first.want.size).toBeGreaterThan(1);
      // Two conditions, two calls: each condition's window counted once, the second call reused (or slid) it.
      expect(counters.scans - scans).toBe(2);
      const again = await answersAndOracle(cohortId);
      expect(again.got).toEqual(again.want);
      expect(counters.scans - scans).toBe(2);

      // A new buyer: the version moves by an added segment, the next call counts only that segment's events.
      await storeTestEvents(services.db, [
        testEvent(projectId, { eventName: "purchase", at: NOW - HOUR, distinctId: "late-buyer", sessionId: "late" }),
      ]);
      const arrived = await answersAndOracle(cohortId);
      expect(arrived.got).toEqual(arrived.want);
      expect(arrived.want.size).toBe(first.want.size + 1);
      expect(arrived.ids).toContain("late-buyer");
      expect(counters.scans - scans).toBe(2);
      expect(counters.appends - appends).toBe(2);
      // The people the conditions range over (live user nums, cohort-evaluations.ts): read once, then only grown
      // by the new nums while nobody is removed.
      expect(counters.liveReads - liveReads).toBeLessThanOrEqual(1);
      const liveGrowths = counters.liveGrowths;
      const readsBeforeDeletion = counters.liveReads;

      // A member deleted (one with a linked anonymous id): their segments are rewritten, so the next call counts
      // afresh; gone from the size and from the filtered overview.
      const member = arrived.ids.find((id) => id.startsWith("anon-"))!.replace("anon-", "buyer-");
      await owner.caller.people.delete({ projectId, distinctId: member });
      const deleted = await answersAndOracle(cohortId);
      expect(deleted.got).toEqual(deleted.want);
      expect(deleted.want.size).toBe(arrived.want.size - 1);
      expect(deleted.ids).not.toContain(member);
      expect(deleted.got.events).toBeLessThan(arrived.got.events);
      expect(counters.scans - scans).toBe(4);
      // The removal moved the user-removal counter: the live nums were read afresh, once for both calls.
      expect(counters.liveReads - readsBeforeDeletion).toBe(1);
      expect(counters.liveGrowths).toBe(liveGrowths);
    });
  });
}
