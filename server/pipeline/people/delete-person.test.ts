/**
 * deletePerson on PostgreSQL and PGlite, held to a twin: project A holds everything, project B the same events
 * without the person's (every id: the canonical one, an alias linked by an identify event, sessionless server
 * events, sessions shared with anonymous events and with another user). After deleting the person from A, every
 * figure of A (overview, timeseries, topEvents, breakdowns, sessions, users, people, funnel, retention, paths, each
 * unfiltered from the rollups and filtered from the engine, over several ranges) equals B's, and the raw events
 * equal B's by plain SQL. Also: late events and events queued before the deletion are suppressed; suppression
 * expires; a crash half way rolls back; another project's person with the same id is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import {
  analyticsInputSchema,
  breakdownInputSchema,
  sessionsInputSchema,
  timeseriesInputSchema,
  topEventsInputSchema,
  usersInputSchema,
} from "../../../shared/analytics.ts";
import { funnelInputSchema } from "../../../shared/funnel.ts";
import { pathsInputSchema } from "../../../shared/paths.ts";
import { peopleListInputSchema } from "../../../shared/people.ts";
import { retentionInputSchema } from "../../../shared/retention.ts";
import { QueryEngine } from "../../analytics/engine/query-engine.ts";
import { getFunnel } from "../../analytics/funnels/get-funnel.ts";
import { getBreakdown } from "../../analytics/get-breakdown.ts";
import { getOverview } from "../../analytics/get-overview.ts";
import { getSessions } from "../../analytics/get-sessions.ts";
import { getTimeseries } from "../../analytics/get-timeseries.ts";
import { getTopEvents } from "../../analytics/get-top-events.ts";
import { getUsers } from "../../analytics/get-users.ts";
import { getPaths } from "../../analytics/paths/get-paths.ts";
import { getPerson } from "../../analytics/people/get-person.ts";
import { listPeople } from "../../analytics/people/list-people.ts";
import { getRetention } from "../../analytics/retention/get-retention.ts";
import { type Database, queryRows } from "../../db/client.ts";
import {
  generateTestEvents,
  storeTestEvents,
  type TestEvent,
  testEvent,
} from "../../test-support/analytics-test-data.ts";
import { DATABASE_KINDS, type EitherDatabase, openEitherDatabase } from "../../test-support/either-database.ts";
import { storeEvents } from "../store/store-events.ts";
import { deletePerson } from "./delete-person.ts";

const BASE = Date.UTC(2026, 4, 4);
const NOW = BASE + 10 * 86_400_000;
const MINUTE = 60_000;
const PERSON_IDS = new Set(["user-7", "anon-7"]);

/** The generated data plus the person's alias, identify event and a session shared with user-8. */
function scenario(projectId: string): TestEvent[] {
  const ev = (distinctId: string | null, at: number, sessionId: string | null, extra: Partial<TestEvent> = {}) => ({
    ...testEvent(projectId, { at, distinctId, sessionId, path: "/pricing", country: "DE" }),
    ...extra,
  });
  return [
    ...generateTestEvents(projectId, BASE, 7),
    ev("anon-7", BASE + 3 * 86_400_000, "sess-anon-7"),
    ev("anon-7", BASE + 3 * 86_400_000 + MINUTE, "sess-anon-7", { eventName: "signup" }),
    ev("user-7", BASE + 3 * 86_400_000 + 2 * MINUTE, "sess-anon-7", {
      eventName: "$identify",
      properties: { $anon_distinct_id: "anon-7", $set: { plan: "pro" } },
    }),
    // A shared session: the person, an anonymous event and another user, and a bucket only the person touched.
    ev(null, BASE + 4 * 86_400_000, "sess-shared"),
    ev("anon-7", BASE + 4 * 86_400_000 + MINUTE, "sess-shared", { eventName: "signup" }),
    ev("user-8", BASE + 4 * 86_400_000 + 20 * MINUTE, "sess-shared", { eventName: "purchase" }),
    ev("user-7", BASE + 4 * 86_400_000 + 50 * MINUTE, "sess-shared"),
  ];
}

/** Every figure of the project, with its id taken out so two projects can be compared. */
async function figures(db: Database, engine: QueryEngine, projectId: string): Promise<string> {
  const out: Record<string, unknown> = {};
  const ranges = [
    { from: new Date(BASE).toISOString(), to: new Date(BASE + 8 * 86_400_000).toISOString() },
    { from: new Date(BASE + 3 * 86_400_000).toISOString(), to: new Date(BASE + 5 * 86_400_000).toISOString() },
    {
      from: new Date(BASE + 4 * 86_400_000 + 10 * MINUTE).toISOString(),
      to: new Date(BASE + 4 * 86_400_000 + 7 * 3_600_000).toISOString(),
    },
  ];
  const filterSets = [
    undefined,
    [{ dimension: "path", op: "eq", value: "/pricing" }],
    [{ dimension: "country", op: "neq", value: "US" }],
  ] as const;
  for (const [r, range] of ranges.entries()) {
    for (const [f, filters] of filterSets.entries()) {
      const base = { projectId, ...range, ...(filters ? { filters: [...filters] } : {}) };
      const key = `${r}/${f}`;
      out[`overview ${key}`] = await getOverview(db, analyticsInputSchema.parse(base), NOW, engine);
      out[`timeseries ${key}`] = await getTimeseries(
        db,
        timeseriesInputSchema.parse({ ...base, granularity: "hour" }),
        NOW,
        engine,
      );
      out[`topEvents ${key}`] = await getTopEvents(db, topEventsInputSchema.parse(base), NOW, engine);
      for (const dimension of ["path", "country", "browser", "event_name"])
        out[`breakdown ${dimension} ${key}`] = await getBreakdown(
          db,
          breakdownInputSchema.parse({ ...base, dimension }),
          NOW,
          engine,
        );
      out[`sessions ${key}`] = await allPages((cursor) =>
        getSessions(db, sessionsInputSchema.parse({ ...base, limit: 100, cursor }), NOW, engine),
      );
      out[`users ${key}`] = await allPages((cursor) =>
        getUsers(db, usersInputSchema.parse({ ...base, limit: 100, cursor }), NOW, engine),
      );
      out[`people ${key}`] = await allPages((cursor) =>
        listPeople(db, peopleListInputSchema.parse({ ...base, limit: 100, cursor }), NOW, engine),
      );
      out[`funnel ${key}`] = await getFunnel(
        db,
        engine,
        funnelInputSchema.parse({ ...base, steps: [{ event: "page_view" }, { event: "signup" }] }),
        NOW,
      );
      out[`retention ${key}`] = await getRetention(db, retentionInputSchema.parse(base), NOW, engine);
      out[`paths ${key}`] = await getPaths(
        db,
        pathsInputSchema.parse({ ...base, start: { kind: "page", value: "/pricing" } }),
        NOW,
        engine,
      );
    }
  }
  out.people = await allPages((cursor) =>
    listPeople(db, peopleListInputSchema.parse({ projectId, limit: 100, cursor }), NOW, engine),
  );
  return JSON.stringify(out).replaceAll(projectId, "<project>");
}

/** Every item of a paged listing, page by page. */
async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const next = await page(cursor);
    items.push(...next.items);
    if (!next.nextCursor) return items;
    cursor = next.nextCursor;
  }
}

/** The raw events as plain SQL sees them (without the project and the insert id's project-specific use). */
async function rawEvents(db: Database, projectId: string) {
  return queryRows(
    db,
    sql`select insert_id, event_name, distinct_id, session_id, path, "timestamp"::text as ts from events
         where project_id = ${projectId}::uuid order by insert_id`,
  );
}

async function count(db: Database, table: string, projectId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from ${sql.raw(table)} where project_id = ${projectId}::uuid`,
  );
  return row!.n;
}

for (const kind of DATABASE_KINDS) {
  describe(`deletePerson (${kind})`, () => {
    let d: EitherDatabase;
    let a: string;
    let b: string;
    let other: string;
    let before: string;

    beforeAll(async () => {
      d = await openEitherDatabase(kind);
      [a, b, other] = [await d.createProject("a"), await d.createProject("b"), await d.createProject("other")];
      const all = scenario(a);
      await storeTestEvents(d.db, all);
      await storeTestEvents(
        d.db,
        all.filter((row) => !PERSON_IDS.has(row.distinctId ?? "")).map((row) => ({ ...row, projectId: b })),
      );
      await storeTestEvents(d.db, scenario(other));
      before = await figures(d.db, new QueryEngine({ cacheBytes: 32 << 20 }), a);
    }, 120_000);

    afterAll(async () => {
      await d?.close();
    });

    it("rolls back whole when it fails half way", async () => {
      for (const step of ["events", "rollups", "sessions", "segments"] as const) {
        await expect(deletePerson(d.db, { projectId: a, distinctId: "anon-7" }, { failAt: step })).rejects.toThrow(
          step,
        );
        expect(await figures(d.db, new QueryEngine({ cacheBytes: 32 << 20 }), a)).toBe(before);
      }
    }, 120_000);

    it("leaves every figure equal to a project that never had the person", async () => {
      const engine = new QueryEngine({ cacheBytes: 32 << 20 });
      // Warm the engine's caches on A first: the deletion must not leave stale answers behind.
      expect(await figures(d.db, engine, a)).toBe(before);
      const deleted = await deletePerson(d.db, { projectId: a, distinctId: "anon-7" });
      expect(deleted?.distinctIds.sort()).toEqual(["anon-7", "user-7"]);
      expect(deleted!.events).toBeGreaterThan(10);
      const twin = await figures(d.db, engine, b);
      expect(twin).not.toBe(before);
      expect((await figures(d.db, engine, a)).replaceAll("<project>", "")).toBe(twin.replaceAll("<project>", ""));
      expect(await rawEvents(d.db, a)).toEqual(await rawEvents(d.db, b));
      for (const table of [
        "analytics_sessions",
        "analytics_users",
        "analytics_user_sessions",
        "analytics_person_links",
      ])
        expect([table, await count(d.db, table, a)]).toEqual([table, await count(d.db, table, b)]);
      expect(await getPerson(d.db, { projectId: a, distinctId: "user-7" })).toBeNull();
      expect(await count(d.db, "analytics_person_traits", a)).toBe(await count(d.db, "analytics_person_traits", b));
    }, 180_000);

    it("leaves another project's person with the same ids alone", async () => {
      expect(await getPerson(d.db, { projectId: other, distinctId: "user-7" })).not.toBeNull();
      expect(await deletePerson(d.db, { projectId: a, distinctId: "user-7" })).toBeNull();
    });

    it("drops late events of the person's ids, by distinct_id and by $anon_distinct_id, and counts them", async () => {
      const twin = await figures(d.db, new QueryEngine({ cacheBytes: 32 << 20 }), b);
      let suppressed = 0;
      const late = [
        testEvent(a, { at: BASE + 5 * 86_400_000, distinctId: "user-7", sessionId: "sess-late", path: "/" }),
        testEvent(a, {
          eventName: "$identify",
          at: BASE + 5 * 86_400_000,
          distinctId: "new-login",
          properties: { $anon_distinct_id: "anon-7" },
        }),
        testEvent(other, { at: BASE + 5 * 86_400_000, distinctId: "user-7", sessionId: "sess-late", path: "/" }),
      ];
      const stored = await storeEvents(d.db, late, { onSuppressed: (n) => (suppressed += n) });
      expect(suppressed).toBe(2);
      expect(stored.map((row) => row.projectId)).toEqual([other]);
      expect((await figures(d.db, new QueryEngine({ cacheBytes: 32 << 20 }), a)).replaceAll("<project>", "")).toBe(
        twin.replaceAll("<project>", ""),
      );
    }, 120_000);

    it("stops suppressing once the suppression expires", async () => {
      await d.db.execute(
        sql`update analytics_suppressed_ids set expires_at = now() - interval '1 second' where project_id = ${a}::uuid`,
      );
      const back = testEvent(a, { at: BASE + 6 * 86_400_000, distinctId: "user-7", sessionId: "sess-back", path: "/" });
      let suppressed = 0;
      expect((await storeEvents(d.db, [back], { onSuppressed: (n) => (suppressed += n) })).length).toBe(1);
      expect(suppressed).toBe(0);
    });
  });
}
