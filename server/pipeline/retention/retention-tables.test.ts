/**
 * Retention and the per-session / per-person tables, on PostgreSQL and PGlite: after every batch of a retention
 * pass (not only at its end) analytics_sessions, analytics_user_sessions and analytics_users equal plain SQL over
 * the remaining raw events; people.list, people.get, analytics.users and analytics.sessions answer the oracle's
 * figures (people through the alias map of analytics_person_links); a person with no event left is gone with its
 * ids, links and traits, and one with an event left keeps its links and traits (follow-removed-events.ts).
 * The scenario: the usual generated events over 10 days before and after the horizon, plus a session straddling
 * the horizon with two ids and anonymous events, and three people around it (all before; identified before with
 * the canonical id's events after; the canonical id's events all before and its alias's after).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import { analyticsInputSchema } from "../../../shared/analytics.ts";
import { getSessions } from "../../analytics/get-sessions.ts";
import { getUsers } from "../../analytics/get-users.ts";
import { getPerson } from "../../analytics/people/get-person.ts";
import { listPeople } from "../../analytics/people/list-people.ts";
import { type Database, queryRows } from "../../db/client.ts";
import {
  generateTestEvents,
  storeTestEvents,
  type TestEvent,
  testEvent,
} from "../../test-support/analytics-test-data.ts";
import { DATABASE_KINDS, type EitherDatabase, openEitherDatabase } from "../../test-support/either-database.ts";
import { applyRetention, retentionHorizon } from "./apply-retention.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.now();
const HORIZON = retentionHorizon(NOW, 30);
const iso = (ms: number) => new Date(ms).toISOString();

function scenario(projectId: string): TestEvent[] {
  const ev = (distinctId: string | null, at: number, sessionId: string | null, path = "/", properties = {}) =>
    testEvent(projectId, { at, distinctId, sessionId, path, properties });
  const identify = (id: string, anon: string, at: number, traits: Record<string, unknown>) =>
    testEvent(projectId, {
      eventName: "$identify",
      at,
      distinctId: id,
      sessionId: `s-${id}-identify`,
      properties: { $anon_distinct_id: anon, ...traits },
    });
  const h = (offset: number) => HORIZON + offset;
  return [
    // A session across the horizon: anonymous first, two ids, the last events anonymous again.
    ev(null, h(-50 * MINUTE), "straddle", "/a"),
    ev("sam", h(-40 * MINUTE), "straddle", "/b"),
    ev("tom", h(-10 * MINUTE), "straddle", "/c"),
    ev("sam", h(5 * MINUTE), "straddle", "/d"),
    ev("sam", h(15 * MINUTE), "straddle", "/e"),
    ev(null, h(20 * MINUTE), "straddle", "/f"),
    // Gone: all of this person's events are older than the horizon.
    ev("old-anon", h(-5 * DAY), "s-old-1"),
    identify("old", "old-anon", h(-5 * DAY + HOUR), { email: "old@example.test" }),
    ev("old", h(-4 * DAY), "s-old-2", "/x", { $set: { plan: "pro" } }),
    // Kept: identified before the horizon, the canonical id's events after it; the alias keeps no event.
    ev("mix-anon", h(-3 * DAY), "s-mix-1"),
    identify("mix", "mix-anon", h(-3 * DAY + HOUR), { email: "mix@example.test" }),
    ev("mix", h(2 * DAY), "s-mix-2"),
    ev("mix", h(3 * DAY), "s-mix-3", "/y", { $set: { plan: "team" } }),
    // Kept: the canonical id's events all before the horizon, its alias's after it.
    ev("can-anon", h(-2 * DAY), "s-can-1"),
    identify("can", "can-anon", h(-2 * DAY + HOUR), { name: "Can" }),
    ev("can-anon", h(4 * DAY), "s-can-2"),
  ];
}

/** Rows of `a` missing from `b` and the reverse, as JSON text (empty when the two queries agree). */
async function difference(db: Database, a: SQL, b: SQL): Promise<string[]> {
  const rows = await queryRows<{ row: string }>(
    db,
    sql`select row from (
          select 'missing ' || to_json(x)::text as row from ((${a}) except (${b})) x
          union all
          select 'extra ' || to_json(y)::text from ((${b}) except (${a})) y
        ) d order by row`,
  );
  return rows.map((r) => r.row);
}

/** Every mismatch between the tables and SQL over the project's raw events (empty when they agree). */
async function tableMismatches(db: Database, projectId: string): Promise<string[]> {
  const p = sql`${projectId}::uuid`;
  const ms = (column: SQL) => sql`date_trunc('milliseconds', ${column})`;
  const sessions = await difference(
    db,
    sql`select session_id, count(*)::bigint as n, ${ms(sql`min("timestamp")`)} as f, ${ms(sql`max("timestamp")`)} as l,
               (array_agg(path order by "timestamp", insert_id))[1] as ep,
               (array_agg(path order by "timestamp" desc, insert_id desc))[1] as xp,
               (array_agg(distinct_id order by "timestamp" desc, insert_id desc) filter (where distinct_id <> ''))[1] as d
          from events where project_id = ${p} and session_id <> '' group by session_id`,
    sql`select session_id, event_count, first_seen, last_seen, entry_path, exit_path, distinct_id
          from analytics_sessions where project_id = ${p}`,
  );
  const users = await difference(
    db,
    sql`select distinct_id, count(*)::bigint as n, ${ms(sql`min("timestamp")`)} as f, ${ms(sql`max("timestamp")`)} as l,
               count(distinct nullif(session_id, ''))::bigint as sessions
          from events where project_id = ${p} and distinct_id <> '' group by distinct_id`,
    sql`select distinct_id, event_count, first_seen, last_seen, session_count
          from analytics_users where project_id = ${p} and event_count > 0`,
  );
  const pairs = await difference(
    db,
    sql`select distinct u.num as user_num, s.num as session_num
          from events e
          join analytics_users u on u.project_id = e.project_id and u.distinct_id = e.distinct_id
          join analytics_sessions s on s.project_id = e.project_id and s.session_id = e.session_id
         where e.project_id = ${p}`,
    sql`select user_num, session_num from analytics_user_sessions where project_id = ${p}`,
  );
  // An id without events is kept only as a member of a person with events, inside that person's span.
  const idle = await queryRows<{ id: string }>(
    db,
    sql`with person as (
          select u.num, u.distinct_id, u.event_count, u.first_seen, u.last_seen,
                 coalesce(l.person_num, u.num) as person
            from analytics_users u
            left join analytics_person_links l on l.project_id = u.project_id and l.alias_num = u.num
           where u.project_id = ${p}
        ),
        spans as (
          select person, min(first_seen) filter (where event_count > 0) as f,
                 max(last_seen) filter (where event_count > 0) as l
            from person group by person
        )
        select x.distinct_id as id from person x join spans s on s.person = x.person
         where x.event_count = 0 and (s.f is null or x.first_seen < s.f or x.last_seen > s.l)`,
  );
  const orphans = await queryRows<{ what: string }>(
    db,
    sql`select 'link ' || l.alias_num as what from analytics_person_links l
          where l.project_id = ${p} and not exists (select 1 from analytics_users u where u.project_id = ${p} and u.num = l.alias_num)
        union all
        select 'trait ' || t.person_num from analytics_person_traits t
          where t.project_id = ${p} and not exists (select 1 from analytics_users u where u.project_id = ${p} and u.num = t.person_num)`,
  );
  return [
    ...sessions.map((r) => `session ${r}`),
    ...users.map((r) => `user ${r}`),
    ...pairs.map((r) => `pair ${r}`),
    ...idle.map((r) => `idle id ${r.id}`),
    ...orphans.map((r) => r.what),
  ];
}

/** The oracle's people over the remaining events (alias map applied), latest seen first. */
async function oraclePeople(db: Database, projectId: string) {
  const p = sql`${projectId}::uuid`;
  return queryRows<{ id: string; events: string; sessions: string; f: string; l: string; aliases: string }>(
    db,
    sql`with alias as (
          select a.distinct_id as alias, c.distinct_id as person
            from analytics_person_links l
            join analytics_users a on a.project_id = l.project_id and a.num = l.alias_num
            join analytics_users c on c.project_id = l.project_id and c.num = l.person_num
           where l.project_id = ${p}
        ),
        ev as (
          select e.*, coalesce(a.person, e.distinct_id) as person
            from events e left join alias a on a.alias = e.distinct_id
           where e.project_id = ${p} and e.distinct_id <> ''
        )
        select person as id, count(*)::text as events, count(distinct nullif(session_id, ''))::text as sessions,
               to_char(min("timestamp") at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as f,
               to_char(max("timestamp") at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as l,
               coalesce((select json_agg(a.alias order by a.alias) from alias a where a.person = ev.person), '[]')::text
                 as aliases
          from ev group by person order by max("timestamp") desc, person`,
  );
}

async function traitsOf(db: Database, projectId: string): Promise<Record<string, string>> {
  const rows = await queryRows<{ id: string; traits: string }>(
    db,
    sql`select u.distinct_id as id, jsonb_object_agg(t.key, t.value order by t.key)::text as traits
          from analytics_person_traits t
          join analytics_users u on u.project_id = t.project_id and u.num = t.person_num
         where t.project_id = ${projectId}::uuid and not t.unset group by u.distinct_id`,
  );
  return Object.fromEntries(rows.map((r) => [r.id, r.traits]));
}

for (const kind of DATABASE_KINDS) {
  describe(`retention and the sessions, users and people tables (${kind})`, () => {
    let d: EitherDatabase;
    let projectId: string;
    let traitsBefore: Record<string, string>;

    beforeAll(async () => {
      d = await openEitherDatabase(kind);
      projectId = await d.createProject("retention-tables");
      const rows = [...generateTestEvents(projectId, HORIZON - 10 * DAY, 20), ...scenario(projectId)];
      rows.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
      await storeTestEvents(d.db, rows, 400);
      traitsBefore = await traitsOf(d.db, projectId);
      await d.db.execute(sql`update projects set retention_days = 30 where id = ${projectId}::uuid`);
    }, 180_000);

    afterAll(async () => {
      await d?.close();
    });

    it("agrees with SQL over the raw events before the pass, after every batch and at its end", async () => {
      expect(await tableMismatches(d.db, projectId)).toEqual([]);
      let batches = 0;
      for (;;) {
        const done = await applyRetention(d.db, NOW, { batchSize: 250 });
        batches++;
        expect(await tableMismatches(d.db, projectId)).toEqual([]);
        if (!done.some((batch) => batch.more)) break;
        expect(batches).toBeLessThan(100);
      }
      expect(batches).toBeGreaterThan(2);
      const [old] = await queryRows<{ n: number }>(
        d.db,
        sql`select count(*)::int as n from events where project_id = ${projectId}::uuid and "timestamp" < ${iso(HORIZON)}::timestamptz`,
      );
      expect(old!.n).toBe(0);
    }, 180_000);

    it("removes a person with no event left whole, and keeps links and traits of one with events", async () => {
      expect(await getPerson(d.db, { projectId, distinctId: "old" })).toBeNull();
      expect(await getPerson(d.db, { projectId, distinctId: "old-anon" })).toBeNull();
      const mix = await getPerson(d.db, { projectId, distinctId: "mix-anon" });
      expect(mix).toMatchObject({ distinctId: "mix", aliases: ["mix-anon"], eventCount: 2, sessionCount: 2 });
      expect(mix!.firstSeen).toBe(iso(HORIZON + 2 * DAY));
      expect(mix!.traits).toEqual({ email: "mix@example.test", plan: "team" });
      const can = await getPerson(d.db, { projectId, distinctId: "can" });
      expect(can).toMatchObject({ distinctId: "can", aliases: ["can-anon"], eventCount: 1, sessionCount: 1 });
      expect(can!.firstSeen).toBe(iso(HORIZON + 4 * DAY));
      expect(can!.lastSeen).toBe(iso(HORIZON + 4 * DAY));
      // Traits: those of people still there are as before the pass; the others are gone.
      const after = await traitsOf(d.db, projectId);
      expect(after).toEqual(Object.fromEntries(Object.entries(traitsBefore).filter(([id]) => id !== "old")));
      expect(traitsBefore.old).toBeDefined();
    }, 60_000);

    it("answers people.list, analytics.users and analytics.sessions from the remaining events", async () => {
      const expected = await oraclePeople(d.db, projectId);
      const listed = await listPeople(d.db, { projectId, limit: 1000 }, NOW);
      expect(listed.total).toBe(expected.length);
      expect(
        listed.items.map((p) => [p.distinctId, p.eventCount, p.sessionCount, p.firstSeen, p.lastSeen, p.aliases]),
      ).toEqual(
        expected.map((p) => [p.id, Number(p.events), Number(p.sessions), p.f, p.l, JSON.parse(p.aliases) as string[]]),
      );
      const range = analyticsInputSchema.parse({ projectId, from: iso(HORIZON), to: iso(NOW + HOUR) });
      const users = await getUsers(d.db, { ...range, limit: 1000 }, NOW);
      const byEvents = [...expected].sort((a, b) => Number(b.events) - Number(a.events) || (a.id < b.id ? -1 : 1));
      expect(users.items.map((u) => [u.distinctId, u.eventCount, u.sessionCount, u.firstSeen, u.lastSeen])).toEqual(
        byEvents.map((p) => [p.id, Number(p.events), Number(p.sessions), p.f, p.l]),
      );
      const sessions = await getSessions(d.db, { ...range, limit: 1000 }, NOW);
      const [straddle] = sessions.items.filter((s) => s.sessionId === "straddle");
      expect(straddle).toMatchObject({
        distinctId: "sam",
        eventCount: 3,
        firstSeen: iso(HORIZON + 5 * MINUTE),
        lastSeen: iso(HORIZON + 20 * MINUTE),
        entryPath: "/d",
        exitPath: "/f",
      });
      const [count] = await queryRows<{ n: number }>(
        d.db,
        sql`select count(distinct session_id)::int as n from events where project_id = ${projectId}::uuid and session_id <> ''`,
      );
      expect(sessions.total).toBe(count!.n);
      expect(sessions.items.length).toBe(count!.n);
    }, 60_000);
  });
}
