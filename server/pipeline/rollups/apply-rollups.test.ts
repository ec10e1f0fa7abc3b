import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { QueryEngine } from "../../analytics/engine/query-engine.ts";
import { getOverview } from "../../analytics/get-overview.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { projects, users } from "../../db/schema/index.ts";
import { ensurePersonalTeam } from "../../queries/teams/ensure-personal-team.ts";
import {
  generateTestEvents,
  shuffled,
  storeTestEvents,
  type TestEvent,
  testEvent,
} from "../../test-support/analytics-test-data.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { applyRollups, type RollupSourceRow } from "./apply-rollups.ts";
import { deleteProjectEvents } from "./delete-project-events.ts";

const BASE = Date.UTC(2026, 4, 4);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestServices;
let db: Database;
let ownerId: string;

async function newProject(): Promise<string> {
  const [row] = await db
    .insert(projects)
    .values({
      teamId: await ensurePersonalTeam(db, ownerId),
      name: "p",
      apiKeyHash: `h-${Bun.randomUUIDv7()}`,
      apiKeyPrefix: "proj_x",
    })
    .returning();
  return row!.id;
}

/** Everything applyRollups maintains for a project, in a comparable form. */
async function snapshot(projectId: string) {
  const rollups = await queryRows(
    db,
    sql`select dimension, size, bucket::text, value, chunk, events, sessions::text from analytics_rollups
         where project_id = ${projectId}::uuid order by 1, 2, 3, 4, 5`,
  );
  const userRollups = await queryRows(
    db,
    sql`select dimension, size, bucket::text, value, chunk, users::text from analytics_user_rollups
         where project_id = ${projectId}::uuid order by 1, 2, 3, 4, 5`,
  );
  const sessions = await queryRows(
    db,
    sql`select session_id, distinct_id, first_seen::text, last_seen::text, event_count, entry_path, exit_path
          from analytics_sessions where project_id = ${projectId}::uuid order by 1`,
  );
  const people = await queryRows(
    db,
    sql`select distinct_id, first_seen::text, last_seen::text, event_count, session_count
          from analytics_users where project_id = ${projectId}::uuid order by 1`,
  );
  const hourly = await queryRows(
    db,
    // Hourly counts per event name, summed over chunks (what the dropped event_rollups_hourly held).
    sql`select bucket::text as hour, value as event_name, sum(events)::text as count from analytics_rollups
          where project_id = ${projectId}::uuid and dimension = 'event_name' and size = 60 group by 1, 2 order by 1, 2`,
  );
  return { rollups, userRollups, sessions, people, hourly };
}

/** A test event as the rows storeEvents hands to applyRollups. */
function asStored(event: TestEvent): RollupSourceRow {
  return {
    projectId: event.projectId,
    insertId: crypto.randomUUID(),
    eventName: event.eventName,
    distinctId: event.distinctId ?? null,
    sessionId: event.sessionId ?? null,
    path: event.path ?? null,
    referrerHost: event.referrerHost ?? null,
    utmSource: event.utmSource ?? null,
    utmMedium: event.utmMedium ?? null,
    utmCampaign: event.utmCampaign ?? null,
    browser: event.browser ?? null,
    os: event.os ?? null,
    device: event.device ?? null,
    country: event.country ?? null,
    properties: event.properties,
    timestamp: event.timestamp,
  };
}

beforeAll(async () => {
  t = await createTestServices({}, { redis: false });
  db = t.services.db;
  const [user] = await db
    .insert(users)
    .values({ email: `r-${Bun.randomUUIDv7()}@example.test`, passwordHash: "x" })
    .returning();
  ownerId = user!.id;
});

afterAll(async () => {
  await t.cleanup();
});

describe("applyRollups", () => {
  it("counts nothing twice when a batch is redelivered", async () => {
    const projectId = await newProject();
    const rows = generateTestEvents(projectId, BASE, 3).slice(0, 400);
    await storeTestEvents(db, rows, 50);
    const once = await snapshot(projectId);
    // The same events again: the INSERT adds none, so applyRollups receives none.
    expect(await storeTestEvents(db, rows, 50)).toBe(0);
    expect(await snapshot(projectId)).toEqual(once);
  });

  it("ends in the same state whatever the batch order and size", async () => {
    const rows = generateTestEvents("00000000-0000-0000-0000-000000000000", BASE, 4, 5).slice(0, 900);
    const first = await newProject();
    const second = await newProject();
    await storeTestEvents(
      db,
      rows.map((row) => ({ ...row, projectId: first, insertId: `${row.insertId}-a` })),
      900,
    );
    await storeTestEvents(
      db,
      shuffled(rows, 3).map((row) => ({ ...row, projectId: second, insertId: `${row.insertId}-b` })),
      37,
    );
    const a = await snapshot(first);
    const b = await snapshot(second);
    // Nums (and so bit positions) depend on arrival order; everything a user can see does not.
    expect(b.sessions).toEqual(a.sessions);
    expect(b.people).toEqual(a.people);
    expect(b.hourly).toEqual(a.hourly);
    const counts = (r: typeof a) =>
      r.rollups.map(
        (row) =>
          `${row.dimension}|${row.size}|${row.bucket}|${row.value}|${row.events}|${String(row.sessions ?? "").replaceAll("0", "").length}`,
      );
    const sum = (list: string[]) => {
      const totals = new Map<string, [number, number]>();
      for (const line of list) {
        const [d, s, b, v, n, bits] = line.split("|");
        const key = `${d}|${s}|${b}|${v}`;
        const [events, members] = totals.get(key) ?? [0, 0];
        totals.set(key, [events + Number(n), members + Number(bits)]);
      }
      return [...totals.entries()].sort();
    };
    expect(sum(counts(b))).toEqual(sum(counts(a)));
  });

  it("holds, in every bucket of every size, exactly the counts and distinct sessions and users of the raw events", async () => {
    const projectId = await newProject();
    // Sessions spread over 9 days (so weeks and days hold many hours), and some events without a session or user.
    const rows = generateTestEvents(projectId, BASE, 9, 11).map((row, i) =>
      i % 17 === 0 ? { ...row, sessionId: null } : row,
    );
    await storeTestEvents(db, rows, 173);
    const MINUTE = 60_000;
    const field = {
      event_name: "eventName",
      path: "path",
      referrer: "referrerHost",
      utm_source: "utmSource",
      utm_medium: "utmMedium",
      utm_campaign: "utmCampaign",
      browser: "browser",
      os: "os",
      device: "device",
      country: "country",
    } as const;
    const expected = new Map<string, { events: number; sessions: Set<string>; users: Set<string> }>();
    const count = (
      kind: string,
      dimension: string,
      size: number,
      at: number,
      value: string,
      row: (typeof rows)[number],
    ) => {
      const bucket = Math.floor(at / (size * MINUTE)) * size * MINUTE;
      const key = `${kind}|${dimension}|${size}|${bucket}|${value}`;
      let entry = expected.get(key);
      if (!entry) {
        entry = { events: 0, sessions: new Set(), users: new Set() };
        expected.set(key, entry);
      }
      entry.events++;
      if (row.sessionId) entry.sessions.add(row.sessionId);
      if (row.distinctId) entry.users.add(row.distinctId);
    };
    for (const row of rows) {
      const at = row.timestamp.getTime();
      for (const size of [15, 60, 1440]) count("s", "all", size, at, "", row);
      for (const size of [60, 1440]) {
        for (const [dimension, key] of Object.entries(field)) {
          const value = row[key as keyof typeof row] as string | null;
          if (value) count("s", dimension, size, at, value, row);
        }
      }
      if (!row.distinctId) continue;
      for (const size of [15, 60, 1440, 10080]) count("u", "all", size, at, "", row);
      for (const size of [60, 1440, 10080]) count("u", "event_name", size, at, row.eventName, row);
    }
    const stored = await queryRows<{
      kind: string;
      dimension: string;
      size: number;
      bucket: string;
      value: string;
      events: string;
      members: string;
    }>(
      db,
      sql`select 's' as kind, dimension, size, (extract(epoch from bucket) * 1000)::bigint::text as bucket, value,
                 sum(events)::text as events, sum(coalesce(bit_count(sessions), 0))::text as members
            from analytics_rollups where project_id = ${projectId}::uuid group by 1, 2, 3, 4, 5
          union all
          select 'u', dimension, size, (extract(epoch from bucket) * 1000)::bigint::text, value, '0',
                 sum(bit_count(users))::text
            from analytics_user_rollups where project_id = ${projectId}::uuid group by 1, 2, 3, 4, 5`,
    );
    const actual = new Map(
      stored.map((r) => [
        `${r.kind}|${r.dimension}|${r.size}|${r.bucket}|${r.value}`,
        [Number(r.events), Number(r.members)],
      ]),
    );
    const wanted = new Map(
      [...expected].map(([key, e]) => [key, key.startsWith("s|") ? [e.events, e.sessions.size] : [0, e.users.size]]),
    );
    expect(actual.size).toBeGreaterThan(1_000);
    expect([...actual].sort()).toEqual([...wanted].sort());
    // The plain hourly counts per event name, too.
    const hourly = await queryRows<{ key: string; count: string }>(
      db,
      sql`select (extract(epoch from bucket) * 1000)::bigint::text || '|' || value as key, sum(events)::text as count
            from analytics_rollups where project_id = ${projectId}::uuid and dimension = 'event_name' and size = 60
           group by bucket, value`,
    );
    const wantedHourly = new Map<string, number>();
    for (const row of rows) {
      const key = `${Math.floor(row.timestamp.getTime() / (60 * MINUTE)) * 60 * MINUTE}|${row.eventName}`;
      wantedHourly.set(key, (wantedHourly.get(key) ?? 0) + 1);
    }
    expect(hourly.map((h) => [h.key, Number(h.count)]).sort()).toEqual([...wantedHourly].sort());
  });

  it("lets concurrent writers of the same buckets finish without deadlock or lost counts", async () => {
    const projectId = await newProject();
    const rows = generateTestEvents(projectId, BASE, 1, 9).slice(0, 1200);
    const mixed = shuffled(rows, 1);
    const parts = [0, 1, 2, 3].map((k) => mixed.filter((_, i) => i % 4 === k));
    await Promise.all(parts.map((part) => storeTestEvents(db, part, 60)));
    const overview = await getOverview(db, { projectId, from: iso(BASE - DAY), to: iso(BASE + 3 * DAY) });
    const [raw] = await queryRows<{ n: string; s: string; u: string }>(
      db,
      sql`select count(*) as n, count(distinct session_id) as s, count(distinct distinct_id) as u from events
           where project_id = ${projectId}::uuid`,
    );
    expect([overview.totalEvents, overview.uniqueSessions, overview.uniqueUsers]).toEqual([
      Number(raw!.n),
      Number(raw!.s),
      Number(raw!.u),
    ]);
  });

  it("links concurrently without deadlock, each anonymous id once, and flat", async () => {
    const projectId = await newProject();
    // Four writers race over 40 anonymous ids: each batch has page views of some and identify events naming others,
    // including chains (u-3 identifies from a-3, then a-3 tries to identify from u-3's id).
    const rows = [];
    for (let i = 0; i < 40; i++) {
      rows.push(testEvent(projectId, { at: BASE + i * 60_000, distinctId: `a-${i}`, sessionId: `s-${i}` }));
      rows.push(
        testEvent(projectId, {
          eventName: "$identify",
          at: BASE + HOUR + i * 60_000,
          distinctId: `u-${i % 10}`,
          properties: { $anon_distinct_id: `a-${i}` },
        }),
      );
      rows.push(
        testEvent(projectId, {
          eventName: "$identify",
          at: BASE + 2 * HOUR + i * 60_000,
          distinctId: `a-${(i + 1) % 40}`,
          properties: { $anon_distinct_id: `u-${i % 10}` },
        }),
      );
    }
    const mixed = shuffled(rows, 4);
    await Promise.all(
      [0, 1, 2, 3].map((k) =>
        storeTestEvents(
          db,
          mixed.filter((_, i) => i % 4 === k),
          7,
        ),
      ),
    );
    const [check] = await queryRows<{ links: string; aliases: string; chained: string }>(
      db,
      sql`select count(*) as links, count(distinct alias_num) as aliases,
                 count(*) filter (where person_num in (select alias_num from analytics_person_links
                                                        where project_id = ${projectId}::uuid)) as chained
            from analytics_person_links where project_id = ${projectId}::uuid`,
    );
    expect(Number(check!.links)).toBe(Number(check!.aliases));
    expect(Number(check!.links)).toBeGreaterThan(0);
    expect(Number(check!.chained)).toBe(0);
    // seq numbers the links 1..n, one each.
    const [seqs] = await queryRows<{ n: string; max: string }>(
      db,
      sql`select count(distinct seq) as n, max(seq) as max from analytics_person_links where project_id = ${projectId}::uuid`,
    );
    expect(seqs!.n).toBe(check!.links);
    expect(Number(seqs!.max)).toBe(Number(check!.links));
  });

  it("merges a new session and user that a concurrent transaction inserted first", async () => {
    const batches = (projectId: string) => [
      [testEvent(projectId, { at: BASE + HOUR, sessionId: "s1", distinctId: "u1", path: "/a" })].map(asStored),
      [
        testEvent(projectId, { at: BASE + 2 * HOUR, sessionId: "s1", distinctId: "u1", path: "/b" }),
        testEvent(projectId, { at: BASE + 2 * HOUR, sessionId: "s2", distinctId: "u2", path: "/c" }),
      ].map(asStored),
    ];
    const sequential = await newProject();
    for (const batch of batches(sequential)) await applyRollups(db, batch);

    // The first transaction holds s1 and u1 uncommitted (and the project's counters locked); the second starts
    // meanwhile, so s1 and u1 are new to its snapshot but stored when its insert reaches them.
    const racing = await newProject();
    const [first, second] = batches(racing);
    let applied!: () => void;
    let release!: () => void;
    const firstApplied = new Promise<void>((resolve) => (applied = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const firstTx = db.transaction(async (tx) => {
      await applyRollups(tx, first!);
      applied();
      await released;
    });
    await firstApplied;
    const secondTx = db.transaction((tx) => applyRollups(tx, second!));
    await Bun.sleep(200);
    release();
    await Promise.all([firstTx, secondTx]);

    const [want, got] = [await snapshot(sequential), await snapshot(racing)];
    expect(got.sessions).toEqual(want.sessions);
    expect(got.people).toEqual(want.people);
    expect(got.sessions.map((s) => [s.session_id, Number(s.event_count)])).toEqual([
      ["s1", 2],
      ["s2", 1],
    ]);
    expect(got.people.map((p) => [p.distinct_id, Number(p.event_count), Number(p.session_count)])).toEqual([
      ["u1", 2, 1],
      ["u2", 1, 1],
    ]);
    const overview = await getOverview(db, { projectId: racing, from: iso(BASE), to: iso(BASE + DAY) });
    expect([overview.totalEvents, overview.uniqueSessions, overview.uniqueUsers]).toEqual([3, 2, 2]);
  });

  it("keeps the first page and the latest identity of a session whatever order its events arrive in", async () => {
    const projectId = await newProject();
    const events = [
      testEvent(projectId, { at: BASE + 3 * HOUR, sessionId: "s", distinctId: "late-id", path: "/exit" }),
      testEvent(projectId, { at: BASE + HOUR, sessionId: "s", distinctId: null, path: "/entry" }),
      testEvent(projectId, { at: BASE + 2 * HOUR, sessionId: "s", distinctId: "early-id", path: "/middle" }),
    ];
    for (const event of events) await storeTestEvents(db, [event]);
    const { sessions, people } = await snapshot(projectId);
    expect(sessions).toEqual([
      expect.objectContaining({ session_id: "s", distinct_id: "late-id", entry_path: "/entry", exit_path: "/exit" }),
    ]);
    expect(people.map((p) => [p.distinct_id, Number(p.session_count)])).toEqual([
      ["early-id", 1],
      ["late-id", 1],
    ]);
  });

  it("does nothing for an empty batch", async () => {
    await applyRollups(db, []);
  });
});

describe("deleteProjectEvents", () => {
  it("removes the events and every rollup derived from them, and later events start afresh", async () => {
    const projectId = await newProject();
    await storeTestEvents(db, generateTestEvents(projectId, BASE, 2, 4).slice(0, 200));
    await deleteProjectEvents(db, projectId);
    const empty = await snapshot(projectId);
    expect(empty).toEqual({ rollups: [], userRollups: [], sessions: [], people: [], hourly: [] });
    await storeTestEvents(db, [testEvent(projectId, { at: BASE + HOUR, sessionId: "again", distinctId: "u" })]);
    const overview = await getOverview(db, { projectId, from: iso(BASE), to: iso(BASE + DAY) });
    expect([overview.totalEvents, overview.uniqueSessions, overview.uniqueUsers]).toEqual([1, 1, 1]);
    // The query engine's segments went with the events.
    const engine = new QueryEngine({ cacheBytes: 1 << 20 });
    const totals = await engine.totals(db, projectId, [{ from: BASE, to: BASE + DAY }], [], {
      sessions: true,
      people: true,
    });
    expect(totals).toEqual([{ events: 1, sessions: 1, people: 1 }]);
  });
});
