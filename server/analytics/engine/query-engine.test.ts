import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";
import { generateTestEvents, shuffled, storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { DATABASE_KINDS, type EitherDatabase, openEitherDatabase } from "../../test-support/either-database.ts";
import { getTimeseries } from "../get-timeseries.ts";
import { compactProject, removeEventsFromSegments } from "./compact-segments.ts";
import { filterMask } from "./filter-masks.ts";
import { type EngineFilter, QueryEngine } from "./query-engine.ts";
import { markEventsDeleted } from "./segment-deletions.ts";

// The engine's answers against plain SQL over the raw events, on PostgreSQL and on PGlite, before and after the
// compactor merged the segments.
const BASE = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const RANGE = { from: BASE + 7 * HOUR + 11 * 60_000, to: BASE + 2 * 24 * HOUR + 19 * HOUR };

/** Each filter with the SQL predicate (over `events e`) that defines it. */
const CASES: Array<[EngineFilter[], SQL]> = [
  [[], sql`true`],
  [[{ dimension: "path", op: "eq", value: "/pricing" }], sql`e.path = '/pricing'`],
  [[{ dimension: "path", op: "neq", value: "/pricing" }], sql`e.path is distinct from '/pricing'`],
  [[{ dimension: "path", op: "contains", value: "PRIC" }], sql`strpos(lower(e.path), 'pric') > 0`],
  [[{ dimension: "path", op: "not_contains", value: "o" }], sql`coalesce(strpos(lower(e.path), 'o') = 0, true)`],
  [[{ dimension: "referrer", op: "is_set" }], sql`coalesce(e.referrer_host, '') <> ''`],
  [[{ dimension: "referrer", op: "not_set" }], sql`coalesce(e.referrer_host, '') = ''`],
  [[{ dimension: "path", op: "in", values: ["/pricing", "/docs", "/nowhere"] }], sql`e.path in ('/pricing', '/docs')`],
  [[{ dimension: "property:plan", op: "eq", value: "pro" }], sql`e.properties ->> 'plan' = 'pro'`],
  [[{ dimension: "property:amount", op: "eq", value: "42" }], sql`e.properties ->> 'amount' = '42'`],
  [[{ dimension: "property:plan", op: "neq", value: "pro" }], sql`(e.properties ->> 'plan') is distinct from 'pro'`],
  [[{ dimension: "property:nothing", op: "neq", value: "x" }], sql`true`],
  [[{ dimension: "property:nothing", op: "is_set" }], sql`false`],
  [
    [
      { dimension: "browser", op: "eq", value: "Chrome" },
      { dimension: "event_name", op: "neq", value: "page_view" },
      { dimension: "property:plan", op: "neq", value: "free" },
    ],
    sql`e.browser = 'Chrome' and e.event_name <> 'page_view' and (e.properties ->> 'plan') is distinct from 'free'`,
  ],
];

interface OracleRow extends Record<string, unknown> {
  n: number;
  s: number;
  u: number;
}

async function oracleTotals(db: Database, projectId: string, where: SQL, from: number, to: number) {
  const [row] = await queryRows<OracleRow>(
    db,
    sql`select count(*)::int as n, count(distinct nullif(session_id, ''))::int as s, count(distinct nullif(distinct_id, ''))::int as u
          from events e where project_id = ${projectId}::uuid and timestamp >= ${iso(from)}::timestamptz
           and timestamp < ${iso(to)}::timestamptz and ${where}`,
  );
  return { events: row!.n, sessions: row!.s, people: row!.u };
}

async function oracleTop(db: Database, projectId: string, where: SQL, column: SQL, limit: number) {
  const rows = await queryRows<OracleRow & { v: string }>(
    db,
    sql`select ${column} as v, count(*)::int as n, count(distinct nullif(session_id, ''))::int as s,
               count(distinct nullif(distinct_id, ''))::int as u
          from events e where project_id = ${projectId}::uuid and timestamp >= ${iso(RANGE.from)}::timestamptz
           and timestamp < ${iso(RANGE.to)}::timestamptz and ${where} and coalesce(${column}, '') <> ''
         group by 1 order by n desc, (${column}) collate "C" limit ${limit}`,
  );
  return rows.map((r) => ({ value: r.v, events: r.n, sessions: r.s, people: r.u }));
}

async function checkEverything(db: Database, engine: QueryEngine, projectId: string) {
  const want = { sessions: true, people: true };
  for (const [filters, where] of CASES) {
    const groups = [RANGE, { from: RANGE.from - 2 * 24 * HOUR, to: RANGE.from }];
    const totals = await engine.totals(db, projectId, groups, filters, want);
    const expected = [
      await oracleTotals(db, projectId, where, groups[0]!.from, groups[0]!.to),
      await oracleTotals(db, projectId, where, groups[1]!.from, groups[1]!.to),
    ];
    expect({ filters, totals }).toEqual({ filters, totals: expected });
    const hours = Array.from({ length: 60 }, (_, h) => ({
      from: RANGE.from + h * HOUR,
      to: RANGE.from + (h + 1) * HOUR,
    }));
    const hourly = await engine.totals(db, projectId, hours, filters, { sessions: true, people: false });
    const hourlyExpected = [];
    for (const hour of hours)
      hourlyExpected.push({ ...(await oracleTotals(db, projectId, where, hour.from, hour.to)), people: 0 });
    expect({ filters, hourly }).toEqual({ filters, hourly: hourlyExpected });
    for (const [dimension, column] of [
      ["event_name", sql`e.event_name`],
      ["path", sql`e.path`],
      ["property:plan", sql`e.properties ->> 'plan'`],
    ] as const) {
      const top = await engine.topValues(db, projectId, RANGE, filters, dimension, 5, want);
      expect({ filters, dimension, top }).toEqual({
        filters,
        dimension,
        top: await oracleTop(db, projectId, where, column, 5),
      });
    }
  }
}

async function seed(db: Database, projectId: string) {
  const rows = shuffled(generateTestEvents(projectId, BASE, 3));
  // Values that need care: quotes, percent, backslash; numbers and booleans as properties.
  rows.push(
    testEvent(projectId, {
      at: RANGE.from + HOUR,
      sessionId: "odd",
      path: "/it's-100%\\off",
      properties: { amount: "42", flag: true },
    }),
  );
  await storeTestEvents(db, rows, 100);
}

describe.each(DATABASE_KINDS)("query engine on %s", (kind) => {
  let database: EitherDatabase;
  let db: Database;
  let projectId: string;

  beforeAll(async () => {
    database = await openEitherDatabase(kind);
    db = database.db;
    projectId = await database.createProject("engine");
    await seed(db, projectId);
  }, 120_000);

  afterAll(async () => {
    await database.close();
  });

  it("answers exactly from the worker's small segments", async () => {
    await checkEverything(db, new QueryEngine({ cacheBytes: 64 << 20 }), projectId);
  }, 120_000);

  it("hands analyses the segments with the columns they ask for (scan)", async () => {
    const engine = new QueryEngine({ cacheBytes: 16 << 20 });
    const filters: EngineFilter[] = [{ dimension: "browser", op: "eq", value: "Chrome" }];
    const counted = await engine.scan(db, projectId, RANGE, filters, ["path"], (segments) => {
      const counts = new Map<string, number>();
      for (const segment of segments) {
        const lo = segment.ts.findIndex((t) => t >= RANGE.from);
        const end = segment.ts.findIndex((t) => t >= RANGE.to);
        const hi = end < 0 ? segment.ts.length : end;
        if (lo < 0 || lo >= hi) continue;
        const mask = filterMask(filters, segment.filterColumns, lo, hi);
        const path = segment.column("path");
        if (path?.kind !== 3) continue;
        for (let i = lo; i < hi; i++) {
          if (mask && !mask[i - lo]) continue;
          const code = path.codes[i]!;
          if (code) counts.set(path.entries[code - 1]!, (counts.get(path.entries[code - 1]!) ?? 0) + 1);
        }
      }
      return counts;
    });
    const top = await engine.topValues(db, projectId, RANGE, filters, "path", 100, { sessions: false, people: false });
    expect(new Map(top!.map((row) => [row.value, row.events]))).toEqual(counted!);
  });

  it("writes each stored event into exactly one segment, a redelivered batch into none", async () => {
    const rows = shuffled(generateTestEvents(projectId, BASE, 3, 99)).slice(0, 300);
    expect(await storeTestEvents(db, rows, 50)).toBe(300);
    // The same batches again (a redelivery): nothing stored, no segment written.
    const [segmentsBefore] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from analytics_segments`);
    expect(await storeTestEvents(db, rows, 50)).toBe(0);
    const [counts] = await queryRows<{ segments: number; in_segments: number; events: number }>(
      db,
      sql`select (select count(*)::int from analytics_segments) as segments,
                 (select sum(event_count)::int from analytics_segments where project_id = ${projectId}::uuid) as in_segments,
                 (select count(*)::int from events where project_id = ${projectId}::uuid) as events`,
    );
    expect(counts!.segments).toBe(segmentsBefore!.n);
    expect(counts!.in_segments).toBe(counts!.events);
  }, 60_000);

  it("puts filtered events in the local days of zones with half-hour offsets and DST changes", async () => {
    const engine = new QueryEngine({ cacheBytes: 16 << 20 });
    const filters: EngineFilter[] = [{ dimension: "path", op: "neq", value: "/pricing" }];
    for (const zone of ["Asia/Kolkata", "America/St_Johns", "Europe/London"]) {
      // 2026-03-29 is a 23-hour day in London; St John's (-03:30/-02:30) changed on 2026-03-08.
      const from = Date.UTC(2026, 2, 1);
      const to = Date.UTC(2026, 2, 31);
      const input = { projectId, from: iso(from), to: iso(to), timezone: zone, granularity: "day" as const, filters };
      const series = await getTimeseries(db, input, Date.now(), engine);
      const expected = await queryRows<{ day: string; n: number; s: number }>(
        db,
        sql`select (date_trunc('day', timestamp at time zone ${zone}) at time zone ${zone}) as day, count(*)::int as n,
                   count(distinct nullif(session_id, ''))::int as s
              from events e where project_id = ${projectId}::uuid and timestamp >= ${iso(from)}::timestamptz
               and timestamp < ${iso(to)}::timestamptz and e.path is distinct from '/pricing'
             group by 1`,
      );
      const byDay = new Map(expected.map((r) => [new Date(r.day).getTime(), r]));
      const nonEmpty = series.points.filter((p) => p.count > 0);
      expect(nonEmpty.length).toBe(expected.length);
      for (const point of nonEmpty) {
        const want = byDay.get(Date.parse(point.timestamp));
        expect({ zone, at: point.timestamp, count: point.count, sessions: point.uniqueSessions }).toEqual({
          zone,
          at: point.timestamp,
          count: want?.n ?? -1,
          sessions: want?.s ?? -1,
        });
      }
    }
  }, 60_000);

  it("answers exactly after compaction, with a cache that saw the old segments", async () => {
    const engine = new QueryEngine({ cacheBytes: 64 << 20 });
    await engine.totals(db, projectId, [RANGE], [], { sessions: true, people: true });
    const [before] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from analytics_segments`);
    expect(await compactProject(db, projectId, { all: true })).toBe(before!.n);
    const [after] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from analytics_segments`);
    expect(after!.n).toBe(1);
    await checkEverything(db, engine, projectId);
  }, 120_000);
  it("removes events past a retention horizon and of one person, exact after", async () => {
    const engine = new QueryEngine({ cacheBytes: 16 << 20 });
    await engine.totals(db, projectId, [RANGE], [], { sessions: true, people: true });
    const horizon = RANGE.from + 5 * HOUR;
    const [user] = await queryRows<{ num: number }>(
      db,
      sql`select num::int from analytics_users where project_id = ${projectId}::uuid and distinct_id = 'user-7'`,
    );
    const removed = await db.transaction(async (tx) => {
      const before = await removeEventsFromSegments(tx, projectId, { before: horizon });
      const person = await markEventsDeleted(tx, projectId, {
        userNums: new Set([user!.num]),
        within: { min: RANGE.from - HOUR, max: RANGE.to + HOUR },
      });
      await tx.execute(
        sql`delete from events where project_id = ${projectId}::uuid and (timestamp < ${iso(horizon)}::timestamptz or distinct_id = 'user-7')`,
      );
      return before + person;
    });
    expect(removed).toBeGreaterThan(0);
    // The person's events are marked deleted, not yet rewritten away: readers leave them out at once.
    const inSegments = async () => {
      const [left] = await queryRows<{ listed: number; physical: number; marked: number; events: number }>(
        db,
        sql`select (select sum(event_count - coalesce(cardinality(deleted_slots), 0))::int from analytics_segments
                     where project_id = ${projectId}::uuid) as listed,
                   (select sum(event_count)::int from analytics_segments where project_id = ${projectId}::uuid) as physical,
                   (select count(*)::int from analytics_segments
                     where project_id = ${projectId}::uuid and deleted_slots is not null) as marked,
                   (select count(*)::int from events where project_id = ${projectId}::uuid) as events`,
      );
      return left!;
    };
    const marked = await inSegments();
    expect(marked.listed).toBe(marked.events);
    expect(marked.marked).toBeGreaterThan(0);
    await checkEverything(db, engine, projectId);
    // The maintenance loop's purge rewrites those segments without the slots; the answers stay the same.
    await db.transaction((tx) => removeEventsFromSegments(tx, projectId, { purgeDeleted: true }));
    const purged = await inSegments();
    expect({ physical: purged.physical, marked: purged.marked }).toEqual({ physical: purged.events, marked: 0 });
    await checkEverything(db, engine, projectId);
  }, 120_000);
});
