/**
 * People, not ids (the README's identity section), on PostgreSQL and on PGlite: identify events link anonymous ids
 * to a person inside the worker's transaction, and every unique-users figure (overview and its previous period,
 * topEvents, analytics.users, with and without filters) counts the person once over any range, before and after
 * the link. Expected figures come from plain SQL over the raw events joined to the links (the oracle), and the
 * scenario's own counts are stated by hand too, so a wrong link cannot make both sides agree.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../shared/analytics.ts";
import { decodePageCursor } from "../../shared/analytics.ts";
import { type Database, type DatabaseHandle, openDatabase, queryRows } from "../db/client.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { projects, users } from "../db/schema/index.ts";
import { deleteProjectEvents } from "../pipeline/rollups/delete-project-events.ts";
import { ensurePersonalTeam } from "../queries/teams/ensure-personal-team.ts";
import { storeTestEvents, type TestEvent, testEvent } from "../test-support/analytics-test-data.ts";
import { createTestServices, type TestServices } from "../test-support/services.ts";
import { QueryEngine } from "./engine/query-engine.ts";
import { getOverview } from "./get-overview.ts";
import { getTopEvents } from "./get-top-events.ts";
import { getUsers } from "./get-users.ts";

const BASE = Date.UTC(2026, 5, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

function scenario(projectId: string) {
  const ev = (
    distinctId: string,
    at: number,
    fields: { eventName?: string; path?: string; sessionId?: string; anon?: string } = {},
  ): TestEvent =>
    testEvent(projectId, {
      eventName: fields.eventName ?? "page_view",
      at,
      distinctId,
      sessionId: fields.sessionId ?? `s-${distinctId}`,
      path: fields.path ?? "/",
      properties: fields.anon === undefined ? {} : { $anon_distinct_id: fields.anon },
    });
  const identify = (id: string, anon: string, at: number, name = "$identify") =>
    ev(id, at, { eventName: name, anon, sessionId: `s-${id}-${at}` });
  const D2 = BASE + 2 * DAY;
  return {
    anonymous: [
      ev("a1", BASE + HOUR, { sessionId: "s-a1-1" }),
      ev("a1", BASE + HOUR + 5 * MINUTE, { sessionId: "s-a1-1", path: "/pricing" }),
      ev("a1", BASE + DAY + 2 * HOUR, { sessionId: "s-a1-2" }),
      ev("a2", BASE + 3 * HOUR, { path: "/pricing" }),
      ev("a3", BASE + 3 * HOUR + 30 * MINUTE),
      ev("c1", BASE + 4 * HOUR),
      ev("c2", BASE + 5 * HOUR),
      ev("p1", BASE + 6 * HOUR),
      ev("n1", BASE + 7 * HOUR),
      ev("n2", BASE + DAY + 7 * HOUR, { path: "/pricing" }),
    ],
    identifies: [
      identify("alice", "a1", D2 + HOUR),
      ev("alice", D2 + HOUR + MINUTE, { sessionId: "s-alice-1", path: "/pricing" }),
      identify("bob", "a3", D2 + 2 * HOUR, "identify"),
      // identify, reset, identify in local mode: two anonymous ids, two people.
      identify("carol", "c1", D2 + 3 * HOUR),
      identify("dave", "c2", D2 + 4 * HOUR),
      // Placeholders are refused as identities and as anonymous ids; the events are stored.
      identify("undefined", "p1", D2 + 5 * HOUR),
      identify("erin", " NULL ", D2 + 6 * HOUR),
      // a1 is already linked (to alice, earlier in this very batch); bob was identified: no link either way.
      identify("frank", "a1", D2 + 7 * HOUR),
      identify("alice", "bob", D2 + 8 * HOUR),
      identify("gina", "x".repeat(201), D2 + 9 * HOUR),
      // A link before any event of the anonymous id: its events, later and earlier ones, are henry's.
      identify("henry", "h-anon", D2 + 10 * HOUR),
    ],
    later: [
      // The alias's events after its link count as the person's.
      ev("a3", BASE + 3 * DAY + HOUR, { sessionId: "s-a3-2" }),
      ev("alice", BASE + 3 * DAY + 2 * HOUR, { sessionId: "s-alice-2" }),
      // A second alias, linked after its events.
      identify("alice", "a2", BASE + 4 * DAY + HOUR),
      ev("h-anon", BASE + 3 * DAY + 3 * HOUR),
      ev("h-anon", BASE + 2 * HOUR, { sessionId: "s-h-anon-early" }),
    ],
  };
}

const RANGES: Array<[string, number, number]> = [
  ["all days", BASE, BASE + 5 * DAY],
  ["the first day", BASE, BASE + DAY],
  ["ragged edges", BASE + 2 * HOUR + 7 * MINUTE, BASE + 3 * DAY + HOUR + 30 * MINUTE + 3_000],
  ["inside one hour", BASE + HOUR + 2 * MINUTE, BASE + HOUR + 50 * MINUTE],
  ["after the link", BASE + 2 * DAY, BASE + 5 * DAY],
];

function runPeopleSuite(label: string, open: () => Promise<{ db: Database; close: () => Promise<void> }>) {
  describe(`people, not ids (${label})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let projectId: string;
    let ownerId: string;

    const newProject = async () => {
      const [row] = await db
        .insert(projects)
        .values({
          teamId: await ensurePersonalTeam(db, ownerId),
          name: "people",
          apiKeyHash: `h-${Bun.randomUUIDv7()}`,
          apiKeyPrefix: "proj_p",
        })
        .returning();
      return row!.id;
    };

    /** The raw events of the project with each id mapped to its person (the oracle's one join). */
    const peopleEvents = (project: string) => sql`
      with person_of as (
        select a.distinct_id as alias, p.distinct_id as person
          from analytics_person_links l
          join analytics_users a on a.project_id = l.project_id and a.num = l.alias_num
          join analytics_users p on p.project_id = l.project_id and p.num = l.person_num
         where l.project_id = ${project}::uuid
      )
      select e.*, coalesce(po.person, e.distinct_id) as person
        from events e left join person_of po on po.alias = e.distinct_id
       where e.project_id = ${project}::uuid and e.distinct_id is not null`;
    const inRange = (from: number, to: number, extra: SQL = sql`true`) =>
      sql`timestamp >= ${iso(from)}::timestamptz and timestamp < ${iso(to)}::timestamptz and ${extra}`;

    async function rawPeopleCount(from: number, to: number, extra?: SQL): Promise<number> {
      const [row] = await queryRows<{ n: number }>(
        db,
        sql`select count(distinct person)::int as n from (${peopleEvents(projectId)}) x where ${inRange(from, to, extra)}`,
      );
      return row!.n;
    }

    async function rawPeople(from: number, to: number, extra?: SQL) {
      const rows = await queryRows<Record<string, string>>(
        db,
        sql`with ev as (${peopleEvents(projectId)}),
                 active as (select distinct person from ev where ${inRange(from, to, extra)})
            select ev.person, count(*) as events, count(distinct ev.session_id) as sessions,
                   to_char(min(ev.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as first_seen,
                   to_char(max(ev.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_seen
              from ev join active a on a.person = ev.person
             group by ev.person order by count(*) desc, ev.person`,
      );
      return rows.map((r) => ({
        distinctId: r.person!,
        eventCount: Number(r.events),
        sessionCount: Number(r.sessions),
        firstSeen: r.first_seen!,
        lastSeen: r.last_seen!,
      }));
    }

    beforeAll(async () => {
      ({ db, close } = await open());
      const [user] = await db
        .insert(users)
        .values({ email: `people-${Bun.randomUUIDv7()}@example.test`, passwordHash: "x" })
        .returning();
      ownerId = user!.id;
      projectId = await newProject();
      const { anonymous, identifies, later } = scenario(projectId);
      await storeTestEvents(db, anonymous, 4);
      await storeTestEvents(db, identifies, 100);
      // Redelivered: its events are stored already, so nothing is linked or counted again.
      expect(await storeTestEvents(db, identifies, 100)).toBe(0);
      await storeTestEvents(db, later, 100);
    }, 60_000);

    afterAll(async () => {
      await close();
    });

    it("links each anonymous id once, flat, to its identified id, refusing placeholders and identified ids", async () => {
      const links = await queryRows<{ alias: string; person: string; seq: string }>(
        db,
        sql`select a.distinct_id as alias, p.distinct_id as person, l.seq::text as seq
              from analytics_person_links l
              join analytics_users a on a.project_id = l.project_id and a.num = l.alias_num
              join analytics_users p on p.project_id = l.project_id and p.num = l.person_num
             where l.project_id = ${projectId}::uuid order by l.seq`,
      );
      expect(links).toEqual([
        { alias: "a1", person: "alice", seq: "1" },
        { alias: "a3", person: "bob", seq: "2" },
        { alias: "c1", person: "carol", seq: "3" },
        { alias: "c2", person: "dave", seq: "4" },
        { alias: "h-anon", person: "henry", seq: "5" },
        { alias: "a2", person: "alice", seq: "6" },
      ]);
      const identified = await queryRows<{ distinct_id: string }>(
        db,
        sql`select distinct_id from analytics_users where project_id = ${projectId}::uuid and identified order by 1`,
      );
      expect(identified.map((r) => r.distinct_id)).toEqual([
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "gina",
        "henry",
      ]);
    });

    it("counts people, not ids, in overview over any range, before and after the link", async () => {
      // By hand: 18 ids, 12 people over all days; on the first day a1 and a2 are both alice (and h-anon is henry).
      expect(await rawPeopleCount(BASE, BASE + 5 * DAY)).toBe(12);
      expect(await rawPeopleCount(BASE, BASE + DAY)).toBe(7);
      for (const [, from, to] of RANGES) {
        const overview = await getOverview(db, { projectId, from: iso(from), to: iso(to) });
        expect(overview.uniqueUsers).toBe(await rawPeopleCount(from, to));
        expect(overview.previous.uniqueUsers).toBe(await rawPeopleCount(from - (to - from), from));
      }
      const second = await getOverview(db, { projectId, from: iso(BASE + DAY), to: iso(BASE + 2 * DAY) });
      expect(second.previous.uniqueUsers).toBe(7);
    });

    it("counts people in topEvents, and with filters served from raw events", async () => {
      for (const [, from, to] of RANGES) {
        const top = await getTopEvents(db, { projectId, from: iso(from), to: iso(to), limit: 50 });
        for (const row of top) {
          expect(row.uniqueUsers).toBe(await rawPeopleCount(from, to, sql`event_name = ${row.eventName}`));
        }
        const pricing = await getOverview(db, {
          projectId,
          from: iso(from),
          to: iso(to),
          filters: [{ dimension: "path", op: "eq", value: "/pricing" }],
        });
        expect(pricing.uniqueUsers).toBe(await rawPeopleCount(from, to, sql`path = '/pricing'`));
      }
      // a1, a2 and alice viewed /pricing: one person, and n2.
      const all = await getOverview(db, {
        projectId,
        from: iso(BASE),
        to: iso(BASE + 5 * DAY),
        filters: [{ dimension: "path", op: "eq", value: "/pricing" }],
      });
      expect(all.uniqueUsers).toBe(2);
    });

    it("lists people by canonical id with figures over all their ids, total equal to overview", async () => {
      for (const [, from, to] of RANGES) {
        const expected = await rawPeople(from, to);
        const overview = await getOverview(db, { projectId, from: iso(from), to: iso(to) });
        const page = await getUsers(db, { projectId, from: iso(from), to: iso(to), limit: 100 });
        expect(page.total).toBe(expected.length);
        expect(page.total).toBe(overview.uniqueUsers);
        expect(page.items).toEqual(expected);
        const sliced = await getUsers(db, { projectId, from: iso(from), to: iso(to), limit: 2, offset: 1 });
        expect(sliced.items).toEqual(expected.slice(1, 3));
      }
      const alice = (await getUsers(db, { projectId, from: iso(BASE), to: iso(BASE + DAY), limit: 100 })).items.find(
        (item) => item.distinctId === "alice",
      )!;
      // a1's 3 events, a2's 1, alice's own 5 (three identify events, two page views).
      expect(alice.eventCount).toBe(3 + 1 + 5);
      expect(alice.firstSeen).toBe(iso(BASE + HOUR));
    });

    it("walks the people list by cursor exactly once each", async () => {
      const expected = await rawPeople(BASE, BASE + 5 * DAY);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await getUsers(db, {
          projectId,
          from: iso(BASE),
          to: iso(BASE + 5 * DAY),
          limit: 3,
          cursor: cursor ? decodePageCursor("users", cursor)! : undefined,
        });
        seen.push(...page.items.map((item) => item.distinctId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(expected.map((p) => p.distinctId));
    });

    it("lists people with filters from raw events", async () => {
      const filters = [{ dimension: "path" as const, op: "eq" as const, value: "/pricing" }];
      const expected = await rawPeople(BASE, BASE + 5 * DAY, sql`path = '/pricing'`);
      const page = await getUsers(db, { projectId, from: iso(BASE), to: iso(BASE + 5 * DAY), filters, limit: 100 });
      expect(page.total).toBe(2);
      expect(page.items).toEqual(expected);
    });

    it("counts and lists the same people through the query engine, unfiltered and for any filter", async () => {
      const engine = new QueryEngine({ cacheBytes: 16 << 20 });
      const cases: Array<[AnalyticsFilter[], ReturnType<typeof sql>]> = [
        // Unfiltered: the rollups' user sets counted with the engine's person map, the listing from its active people.
        [[], sql`true`],
        [[{ dimension: "path", op: "eq", value: "/pricing" }], sql`path = '/pricing'`],
        [[{ dimension: "path", op: "neq", value: "/pricing" }], sql`path is distinct from '/pricing'`],
        [
          [{ dimension: "event_name", op: "in", values: ["$identify", "page_view"] }],
          sql`event_name in ('$identify', 'page_view')`,
        ],
      ];
      for (const [filters, where] of cases) {
        for (const [, from, to] of RANGES) {
          const input = { projectId, from: iso(from), to: iso(to), filters };
          const overview = await getOverview(db, input, Date.now(), engine);
          expect({ filters, from, people: overview.uniqueUsers }).toEqual({
            filters,
            from,
            people: await rawPeopleCount(from, to, where),
          });
          expect(overview.previous.uniqueUsers).toBe(await rawPeopleCount(from - (to - from), from, where));
          for (const row of await getTopEvents(db, { ...input, limit: 50 }, Date.now(), engine)) {
            expect(row.uniqueUsers).toBe(
              await rawPeopleCount(from, to, sql`${where} and event_name = ${row.eventName}`),
            );
          }
          const page = await getUsers(db, { ...input, limit: 100 }, Date.now(), engine);
          expect(page.total).toBe(overview.uniqueUsers);
          expect(page.items).toEqual(await rawPeople(from, to, where));
        }
      }
    });

    it("counts people afresh once a project's events are deleted and new links outnumber the old", async () => {
      // Deleting a project's events starts its nums and link seqs again from 1: a person map cached from before must
      // not be topped up from the new seqs (it would map the new nums by the old links).
      const other = await newProject();
      const engine = new QueryEngine({ cacheBytes: 16 << 20 });
      const ev = (distinctId: string, at: number, anon?: string) =>
        testEvent(other, {
          eventName: anon === undefined ? "page_view" : "$identify",
          at,
          distinctId,
          sessionId: `s-${distinctId}-${at}`,
          path: "/",
          properties: anon === undefined ? {} : { $anon_distinct_id: anon },
        });
      const range = { projectId: other, from: iso(BASE), to: iso(BASE + DAY) };
      const filters: AnalyticsFilter[] = [{ dimension: "path", op: "eq", value: "/" }];
      await storeTestEvents(db, [ev("k1", BASE + HOUR), ev("k2", BASE + 2 * HOUR)], 100);
      await storeTestEvents(db, [ev("ann", BASE + 3 * HOUR, "k1"), ev("ben", BASE + 4 * HOUR, "k2")], 100);
      expect((await getOverview(db, { ...range, filters }, Date.now(), engine)).uniqueUsers).toBe(2);
      await deleteProjectEvents(db, other);
      await storeTestEvents(db, [ev("m1", BASE + HOUR), ev("m2", BASE + 2 * HOUR), ev("m3", BASE + 3 * HOUR)], 100);
      await storeTestEvents(
        db,
        [ev("zed", BASE + 4 * HOUR, "m1"), ev("zed", BASE + 5 * HOUR, "m2"), ev("yan", BASE + 6 * HOUR, "m3")],
        100,
      );
      for (const withFilters of [filters, []]) {
        const overview = await getOverview(db, { ...range, filters: withFilters }, Date.now(), engine);
        expect({ withFilters, people: overview.uniqueUsers }).toEqual({ withFilters, people: 2 });
      }
    });

    it("deletes a project's links with its events", async () => {
      const other = await newProject();
      const { anonymous, identifies } = scenario(other);
      await storeTestEvents(db, [...anonymous, ...identifies], 100);
      await deleteProjectEvents(db, other);
      const [left] = await queryRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from analytics_person_links where project_id = ${other}::uuid`,
      );
      expect(left!.n).toBe(0);
    });
  });
}

let services: TestServices | undefined;
runPeopleSuite("PostgreSQL", async () => {
  services = await createTestServices({}, { redis: false });
  return { db: services.services.db, close: () => services!.cleanup() };
});

runPeopleSuite("PGlite", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "ad-pglite-people-"));
  const handle: DatabaseHandle = await openDatabase({ dataDir, poolSize: 1 });
  await migrateDatabase(handle);
  return {
    db: handle.db,
    close: async () => {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
