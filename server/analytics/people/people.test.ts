/**
 * People pages and traits on PostgreSQL and on PGlite: traits from identify properties, `$set` and `$unset` with the
 * latest event timestamp winning per key (late events included) and moving with a link, people.list (all people,
 * active in a range, filters, search, keyset pages), people.get and people.events across aliases, and ids of
 * another project answering nothing. Expected answers come from plain SQL over the raw events with the alias map
 * applied (the oracle), and the scenario's key outcomes are stated by hand too.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type SQL, sql } from "drizzle-orm";
import { decodePageCursor } from "../../../shared/analytics.ts";
import type { TraitValue } from "../../../shared/people.ts";
import { type Database, type DatabaseHandle, openDatabase, queryRows } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { projects, users } from "../../db/schema/index.ts";
import { deleteProjectEvents } from "../../pipeline/rollups/delete-project-events.ts";
import { ensurePersonalTeam } from "../../queries/teams/ensure-personal-team.ts";
import { storeTestEvents, type TestEvent, testEvent } from "../../test-support/analytics-test-data.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { QueryEngine } from "../engine/query-engine.ts";
import { getPerson } from "./get-person.ts";
import { getPersonEvents } from "./get-person-events.ts";
import { listPeople } from "./list-people.ts";

const BASE = Date.UTC(2026, 5, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

function scenario(projectId: string) {
  const ev = (
    distinctId: string,
    at: number,
    properties: Record<string, unknown> = {},
    fields: { eventName?: string; sessionId?: string; path?: string } = {},
  ): TestEvent =>
    testEvent(projectId, {
      eventName: fields.eventName ?? "page_view",
      at,
      distinctId,
      sessionId: fields.sessionId ?? `s-${distinctId}-${Math.floor((at - BASE) / DAY)}`,
      path: fields.path ?? "/",
      properties,
    });
  const identify = (id: string, anon: string, at: number, traits: Record<string, unknown> = {}) =>
    ev(id, at, { $anon_distinct_id: anon, ...traits }, { eventName: "$identify" });

  // ada: anonymous v1 then v2 (two devices), identified; traits set on all three ids, some late.
  const first = [
    ev("ada", BASE + HOUR, { $set: { plan: "enterprise", tier: "silver" } }),
    ev("v1", BASE + 2 * HOUR, { $set: { plan: "free", color: "red", tier: "bronze" } }),
    ev("v1", BASE + 4 * HOUR, { $set: { plan: "pro" } }),
    ev("v1", BASE + 6 * HOUR, { $unset: ["color"] }),
    ev("v2", BASE + 7 * HOUR, { $set: { device: "phone", plan: "phone-plan" } }),
    ev("ada", BASE + 8 * HOUR, { $set: { tier: "gold" } }),
    ev("v2", BASE + 30 * HOUR, { $set: { nested: { a: [1, 2] }, flag: true } }),
  ];
  const links = [
    identify("ada", "v1", BASE + DAY + HOUR, { email: "ada@lovelace.example", name: "Ada", $browser: "x" }),
    identify("ada", "v2", BASE + DAY + 2 * HOUR),
  ];
  const late = [
    // Older than v1's plan "pro" (4 h) and its unset of color (6 h): they change nothing.
    ev("v1", BASE + 3 * HOUR, { $set: { plan: "trial" } }),
    ev("v1", BASE + 5 * HOUR, { $set: { color: "blue" } }),
    // After the link, v2's change is ada's.
    ev("v2", BASE + 2 * DAY, { $set: { plan: "team" } }, { path: "/pricing" }),
    // A set and an unset of the same key in one event: the unset wins.
    ev("bob", BASE + 2 * DAY + HOUR, { $set: { gone: 1, kept: "yes" }, $unset: ["gone"] }),
    ev("bob", BASE + 2 * DAY + 2 * HOUR, { $set: "not an object", $unset: "not a list" }),
  ];
  // Many people, one event each, one a quarter hour apart, for paging; every third has a company trait.
  const crowd = Array.from({ length: 23 }, (_, i) =>
    ev(
      `crowd-${String(i).padStart(2, "0")}`,
      BASE + 3 * DAY + i * 15 * MINUTE,
      i % 3 === 0 ? { $set: { company: `Acme ${i}` } } : {},
      {
        path: i % 2 ? "/docs" : "/",
      },
    ),
  );
  // cyd: a long history under an anonymous id and the canonical id, for the events pages.
  const long = [
    ...Array.from({ length: 70 }, (_, i) =>
      ev(
        "cyd-anon",
        BASE + 4 * DAY + i * MINUTE,
        {},
        { eventName: i % 5 ? "page_view" : "click", sessionId: `cyd-s${Math.floor(i / 20)}` },
      ),
    ),
    identify("cyd", "cyd-anon", BASE + 4 * DAY + 70 * MINUTE),
    ...Array.from({ length: 40 }, (_, i) =>
      ev("cyd", BASE + 4 * DAY + (71 + i) * MINUTE, {}, { sessionId: `cyd-s${3 + Math.floor(i / 20)}` }),
    ),
    // Two events at the same instant: the insert id orders them.
    ev("cyd", BASE + 4 * DAY + 200 * MINUTE),
    ev("cyd-anon", BASE + 4 * DAY + 200 * MINUTE),
  ];
  return { first, links, late, crowd, long };
}

function runSuite(label: string, open: () => Promise<{ db: Database; close: () => Promise<void> }>) {
  describe(`people pages and traits (${label})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let projectId: string;
    let ownerId: string;
    const engine = new QueryEngine({ cacheBytes: 16 << 20 });

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

    /** Each id of the project with its person's canonical id. */
    const personOf = (project: string) => sql`
      select a.distinct_id as alias, p.distinct_id as person
        from analytics_person_links l
        join analytics_users a on a.project_id = l.project_id and a.num = l.alias_num
        join analytics_users p on p.project_id = l.project_id and p.num = l.person_num
       where l.project_id = ${project}::uuid`;
    const peopleEvents = (project: string) => sql`
      select e.*, coalesce(po.person, e.distinct_id) as person
        from events e left join (${personOf(project)}) po on po.alias = e.distinct_id
       where e.project_id = ${project}::uuid and e.distinct_id is not null`;

    /** The oracle's traits: every change of every event, mapped to its person, the latest per key. */
    async function rawTraits(project: string): Promise<Record<string, Record<string, TraitValue>>> {
      const rows = await queryRows<{ person: string; key: string; value: string | null }>(
        db,
        sql`with ev as (${peopleEvents(project)}),
            changes as (
              select person, timestamp, 0 as step, k.key, k.value, false as unset
                from ev, jsonb_each(ev.properties) k
               where ev.event_name in ('identify', '$identify') and left(k.key, 1) <> '$'
              union all
              select person, timestamp, 1, k.key, k.value, false
                from ev, jsonb_each(case when jsonb_typeof(ev.properties -> '$set') = 'object'
                                         then ev.properties -> '$set' else '{}'::jsonb end) k
              union all
              select person, timestamp, 2, k.key, null, true
                from ev, jsonb_array_elements_text(case when jsonb_typeof(ev.properties -> '$unset') = 'array'
                                                        then ev.properties -> '$unset' else '[]'::jsonb end) k(key)
            ),
            latest as (
              select distinct on (person, key) person, key, value::text as value, unset
                from changes order by person, key, timestamp desc, step desc
            )
            select person, key, value from latest where not unset order by person, key`,
      );
      const out: Record<string, Record<string, TraitValue>> = {};
      for (const row of rows) {
        out[row.person] ??= {};
        out[row.person]![row.key] = JSON.parse(row.value!) as TraitValue;
      }
      return out;
    }

    /** The oracle's people, most recently seen first, optionally only those with an event matching `where`. */
    async function rawPeople(project: string, where: SQL = sql`true`) {
      const rows = await queryRows<Record<string, string>>(
        db,
        sql`with ev as (${peopleEvents(project)}),
                 active as (select distinct person from ev where ${where})
            select ev.person, count(*) as events, count(distinct ev.session_id) as sessions,
                   to_char(min(ev.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as first_seen,
                   to_char(max(ev.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_seen,
                   coalesce((select jsonb_agg(po.alias order by po.alias) from (${personOf(project)}) po
                              where po.person = ev.person), '[]'::jsonb)::text as aliases
              from ev join active a on a.person = ev.person
             group by ev.person order by max(ev.timestamp) desc, ev.person`,
      );
      const traits = await rawTraits(project);
      return rows.map((r) => ({
        distinctId: r.person!,
        aliases: JSON.parse(r.aliases!) as string[],
        traits: traits[r.person!] ?? {},
        firstSeen: r.first_seen!,
        lastSeen: r.last_seen!,
        eventCount: Number(r.events),
        sessionCount: Number(r.sessions),
      }));
    }

    async function walk(input: Parameters<typeof listPeople>[1], withEngine: QueryEngine | null) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await listPeople(
          db,
          { ...input, limit: 5, cursor: cursor ? decodePageCursor("people", cursor)! : undefined },
          Date.now(),
          withEngine,
        );
        seen.push(...page.items.map((item) => item.distinctId));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      return seen;
    }

    beforeAll(async () => {
      ({ db, close } = await open());
      const [user] = await db
        .insert(users)
        .values({ email: `people-pages-${Bun.randomUUIDv7()}@example.test`, passwordHash: "x" })
        .returning();
      ownerId = user!.id;
      projectId = await newProject();
      const { first, links, late, crowd, long } = scenario(projectId);
      await storeTestEvents(db, first, 3);
      await storeTestEvents(db, links, 100);
      await storeTestEvents(db, late, 2);
      // Redelivered: nothing is stored, so nothing changes.
      expect(await storeTestEvents(db, [...first, ...late], 100)).toBe(0);
      await storeTestEvents(db, [...crowd, ...long], 40);
    }, 60_000);

    afterAll(async () => {
      await close();
    });

    it("keeps per key the value of the latest event, late events included, and moves an alias's traits on link", async () => {
      const ada = await getPerson(db, { projectId, distinctId: "v1" });
      expect(ada!.distinctId).toBe("ada");
      expect(ada!.aliases).toEqual(["v1", "v2"]);
      // By hand: plan from v2's change after the link (day 2); tier ada's gold (8 h) over v1's bronze and ada's
      // silver; color unset at 6 h, the late blue at 5 h refused; identify properties but not its $-keys.
      expect(ada!.traits).toEqual({
        plan: "team",
        tier: "gold",
        device: "phone",
        nested: { a: [1, 2] },
        flag: true,
        email: "ada@lovelace.example",
        name: "Ada",
      });
      const traits = await rawTraits(projectId);
      expect(ada!.traits).toEqual(traits.ada!);
      const bob = await getPerson(db, { projectId, distinctId: "bob" });
      expect(bob!.traits).toEqual({ kept: "yes" });
      expect(bob!.traits).toEqual(traits.bob!);
      // Traits live under people only: no row is left under an alias.
      const [left] = await queryRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from analytics_person_traits t
             where t.project_id = ${projectId}::uuid
               and t.person_num in (select alias_num from analytics_person_links where project_id = ${projectId}::uuid)`,
      );
      expect(left!.n).toBe(0);
    });

    it("moves traits the person already holds only where the alias's are newer", async () => {
      const project = await newProject();
      const ev = (id: string, at: number, properties: Record<string, unknown>, eventName = "page_view") =>
        testEvent(project, { eventName, at, distinctId: id, sessionId: `s-${id}`, properties });
      await storeTestEvents(db, [
        ev("zed", BASE + 5 * HOUR, { $set: { a: "zed-new", b: "zed-old" } }),
        ev("anon-z", BASE + HOUR, { $set: { a: "anon-old" } }),
        ev("anon-z", BASE + 2 * HOUR, { $set: { b: "anon-new" }, $unset: [] }),
        ev("anon-z", BASE + 3 * HOUR, { $unset: ["c"] }),
      ]);
      await storeTestEvents(db, [ev("zed", BASE + 6 * HOUR, { $set: { c: "older than nothing" } })]);
      // zed's c (6 h) is newer than anon-z's unset (3 h): it stays when the alias moves in.
      await storeTestEvents(db, [ev("zed", BASE + 7 * HOUR, { $anon_distinct_id: "anon-z" }, "identify")]);
      const zed = await getPerson(db, { projectId: project, distinctId: "anon-z" });
      expect(zed!.traits).toEqual({ a: "zed-new", b: "zed-old", c: "older than nothing" });
      expect(zed!.traits).toEqual((await rawTraits(project)).zed!);
      await deleteProjectEvents(db, project);
      const [rows] = await queryRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from analytics_person_traits where project_id = ${project}::uuid`,
      );
      expect(rows!.n).toBe(0);
    });

    it("lists every person without a range, most recently seen first, as the raw events say", async () => {
      const expected = await rawPeople(projectId);
      const page = await listPeople(db, { projectId, limit: 100 });
      expect(page.total).toBe(expected.length);
      expect(page.items).toEqual(expected);
      expect(page.nextCursor).toBeNull();
      // ada, bob, cyd and the 23 of the crowd: 26 people from 29 ids.
      expect(page.total).toBe(26);
    });

    it("walks the people by cursor exactly once each, with and without the engine", async () => {
      const expected = (await rawPeople(projectId)).map((p) => p.distinctId);
      expect(await walk({ projectId }, null)).toEqual(expected);
      const from = BASE + DAY;
      const to = BASE + 3 * DAY + 4 * HOUR;
      const inRange = (
        await rawPeople(projectId, sql`timestamp >= ${iso(from)}::timestamptz and timestamp < ${iso(to)}::timestamptz`)
      ).map((p) => p.distinctId);
      expect(await walk({ projectId, from: iso(from), to: iso(to) }, engine)).toEqual(inRange);
      expect(await walk({ projectId, from: iso(from), to: iso(to) }, null)).toEqual(inRange);
    });

    it("lists the people active in a range, with filters, the same through the engine and raw events", async () => {
      const from = BASE + DAY;
      const to = BASE + 3 * DAY + 2 * HOUR;
      const range = sql`timestamp >= ${iso(from)}::timestamptz and timestamp < ${iso(to)}::timestamptz`;
      const cases: Array<[Parameters<typeof listPeople>[1], SQL]> = [
        [{ projectId, from: iso(from), to: iso(to) }, range],
        [
          { projectId, from: iso(from), to: iso(to), filters: [{ dimension: "path", op: "eq", value: "/docs" }] },
          sql`${range} and path = '/docs'`,
        ],
        [{ projectId, filters: [{ dimension: "path", op: "eq", value: "/pricing" }] }, sql`path = '/pricing'`],
        [{ projectId, filters: [{ dimension: "event_name", op: "eq", value: "click" }] }, sql`event_name = 'click'`],
      ];
      // The engine serves the project, so both paths below are exercised.
      expect(await engine.members(db, projectId, { from, to }, [], "people")).not.toBeNull();
      for (const [input, where] of cases) {
        const expected = await rawPeople(projectId, where);
        for (const withEngine of [engine, null]) {
          const page = await listPeople(db, { ...input, limit: 100 }, Date.now(), withEngine);
          expect({ input, total: page.total, items: page.items }).toEqual({
            input,
            total: expected.length,
            items: expected,
          });
        }
      }
      // /pricing: only ada (through v2, after the link); click: only cyd (through cyd-anon).
      const pricing = await listPeople(db, {
        projectId,
        filters: [{ dimension: "path", op: "eq", value: "/pricing" }],
      });
      expect(pricing.items.map((p) => p.distinctId)).toEqual(["ada"]);
    });

    it("searches ids and trait values, case-insensitive, and pages the matches", async () => {
      const search = async (text: string) =>
        (await listPeople(db, { projectId, search: text, limit: 100 })).items.map((p) => p.distinctId);
      // An alias's id finds its person; a trait value, any case.
      expect(await search("V2")).toEqual(["ada"]);
      expect(await search("LOVELACE")).toEqual(["ada"]);
      expect(await search("cyd-")).toEqual(["cyd"]);
      expect(await search("acme")).toEqual([
        "crowd-21",
        "crowd-18",
        "crowd-15",
        "crowd-12",
        "crowd-09",
        "crowd-06",
        "crowd-03",
        "crowd-00",
      ]);
      expect(await search("no such person")).toEqual([]);
      // Wildcards of LIKE are plain characters.
      expect(await search("%")).toEqual([]);
      const page = await listPeople(db, { projectId, search: "crowd-1", limit: 3 });
      expect(page.total).toBe(10);
      expect(await walk({ projectId, search: "crowd-1" }, null)).toEqual(
        Array.from({ length: 10 }, (_, i) => `crowd-${19 - i}`),
      );
    });

    it("gets a person by any id with figures and latest sessions over all its ids", async () => {
      const expected = (await rawPeople(projectId)).find((p) => p.distinctId === "cyd")!;
      const byAlias = await getPerson(db, { projectId, distinctId: "cyd-anon" });
      const byId = await getPerson(db, { projectId, distinctId: "cyd" });
      expect(byAlias).toEqual(byId);
      const { sessions, ...figures } = byId!;
      expect(figures).toEqual(expected);
      const rawSessions = await queryRows<{ session_id: string }>(
        db,
        sql`select session_id from events
             where project_id = ${projectId}::uuid and distinct_id in ('cyd', 'cyd-anon')
             group by session_id order by max(timestamp) desc, session_id limit 20`,
      );
      expect(sessions.map((s) => s.sessionId)).toEqual(rawSessions.map((r) => r.session_id));
      expect(sessions[0]!.eventCount).toBeGreaterThan(0);
    });

    it("pages a person's events under all its ids, newest first, each once", async () => {
      const raw = await queryRows<{ insert_id: string }>(
        db,
        sql`select insert_id from events
             where project_id = ${projectId}::uuid and distinct_id in ('cyd', 'cyd-anon')
             order by timestamp desc, insert_id`,
      );
      expect(raw.length).toBe(113);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await getPersonEvents(db, {
          projectId,
          distinctId: "cyd-anon",
          cursor: cursor ? decodePageCursor("events", cursor)! : undefined,
        });
        expect(page!.items.length).toBeLessThanOrEqual(50);
        seen.push(...page!.items.map((e) => e.insertId));
        cursor = page!.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(raw.map((r) => r.insert_id));
      const firstPage = await getPersonEvents(db, { projectId, distinctId: "cyd" });
      const newest = firstPage!.items[0]!;
      expect(newest.timestamp).toBe(iso(BASE + 4 * DAY + 200 * MINUTE));
      expect(new Set(firstPage!.items.map((e) => e.distinctId))).toEqual(new Set(["cyd", "cyd-anon"]));
      expect(newest.path).toBe("/");
      expect(newest.browser).toBe("Chrome");
    });

    it("finds nobody for an unknown id or another project's id", async () => {
      const other = await newProject();
      expect(await getPerson(db, { projectId: other, distinctId: "ada" })).toBeNull();
      expect(await getPersonEvents(db, { projectId: other, distinctId: "v1" })).toBeNull();
      expect(await getPerson(db, { projectId, distinctId: "nobody" })).toBeNull();
      expect((await listPeople(db, { projectId: other })).total).toBe(0);
      expect((await listPeople(db, { projectId: other, search: "ada" })).items).toEqual([]);
    });
  });
}

let services: TestServices | undefined;
runSuite("PostgreSQL", async () => {
  services = await createTestServices({}, { redis: false });
  return { db: services.services.db, close: () => services!.cleanup() };
});

runSuite("PGlite", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), "ad-pglite-people-pages-"));
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
