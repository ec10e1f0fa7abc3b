import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import { type Database, type DatabaseHandle, openDatabase, queryRows } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { projects, users } from "../../db/schema/index.ts";
import { startHttpServer } from "../../http/serve.ts";
import type { Logger } from "../../logger.ts";
import type { Metrics } from "../../metrics/metrics.ts";
import { storeEvents } from "../../pipeline/store/store-events.ts";
import { bootWorker } from "../../pipeline/worker/boot.ts";
import { ensurePersonalTeam } from "../../queries/teams/ensure-personal-team.ts";
import {
  generateTestEvents,
  shuffled,
  storeTestEvents,
  type TestEvent,
} from "../../test-support/analytics-test-data.ts";
import { countEvents, createTestProject, makeEvents, waitFor } from "../../test-support/ingest-fixtures.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { getOverview } from "../get-overview.ts";
import { EngineBackfill } from "./backfill.ts";
import { decodeColumn, STRINGS } from "./column-codec.ts";
import { EngineMaintenance, startEngineMaintenance } from "./engine-maintenance.ts";
import { type EngineFilter, QueryEngine } from "./query-engine.ts";
import { INSERT_ID_COLUMN } from "./segment-layout.ts";

// The upgrade of a database made by the previous release (schema up to migration 0008, events stored by the
// pipeline, no segments), with ingest going on while the backfill runs; and the backfill of a dimension column that
// old segments lack. Answers are checked against plain SQL over the raw events.
const BASE = Date.UTC(2026, 2, 1);
const DAY = 86_400_000;
const RANGE = { from: BASE, to: BASE + 5 * DAY };
const iso = (ms: number) => new Date(ms).toISOString();

/** Each filter with the SQL predicate (over `events e`) that defines it. */
const CASES: Array<[EngineFilter[], SQL]> = [
  [[], sql`true`],
  [[{ dimension: "path", op: "neq", value: "/pricing" }], sql`e.path is distinct from '/pricing'`],
  [[{ dimension: "browser", op: "eq", value: "Chrome" }], sql`e.browser = 'Chrome'`],
  [[{ dimension: "os", op: "contains", value: "MAC" }], sql`strpos(lower(e.os), 'mac') > 0`],
  [[{ dimension: "property:plan", op: "eq", value: "pro" }], sql`e.properties ->> 'plan' = 'pro'`],
  [
    [
      { dimension: "browser", op: "neq", value: "Safari" },
      { dimension: "event_name", op: "eq", value: "page_view" },
    ],
    sql`e.browser is distinct from 'Safari' and e.event_name = 'page_view'`,
  ],
];

async function oracleTotals(db: Database, projectId: string, where: SQL) {
  const [row] = await queryRows<{ n: number; s: number; u: number }>(
    db,
    sql`select count(*)::int as n, count(distinct nullif(session_id, ''))::int as s,
               count(distinct nullif(distinct_id, ''))::int as u
          from events e where project_id = ${projectId}::uuid and timestamp >= ${iso(RANGE.from)}::timestamptz
           and timestamp < ${iso(RANGE.to)}::timestamptz and ${where}`,
  );
  return { events: row!.n, sessions: row!.s, people: row!.u };
}

async function oracleTop(db: Database, projectId: string, where: SQL, column: SQL) {
  const rows = await queryRows<{ v: string; n: number; s: number; u: number }>(
    db,
    sql`select ${column} as v, count(*)::int as n, count(distinct nullif(session_id, ''))::int as s,
               count(distinct nullif(distinct_id, ''))::int as u
          from events e where project_id = ${projectId}::uuid and timestamp >= ${iso(RANGE.from)}::timestamptz
           and timestamp < ${iso(RANGE.to)}::timestamptz and ${where} and coalesce(${column}, '') <> ''
         group by 1 order by n desc, (${column}) collate "C" limit 5`,
  );
  return rows.map((r) => ({ value: r.v, events: r.n, sessions: r.s, people: r.u }));
}

/** Every case's totals and top values (paths, browsers) from the engine equal SQL over the raw events. */
async function expectEngineExact(db: Database, engine: QueryEngine, projectId: string) {
  const want = { sessions: true, people: true };
  for (const [filters, where] of CASES) {
    const totals = await engine.totals(db, projectId, [RANGE], filters, want);
    expect({ filters, totals }).toEqual({ filters, totals: [await oracleTotals(db, projectId, where)] });
    for (const [dimension, column] of [
      ["path", sql`e.path`],
      ["browser", sql`e.browser`],
    ] as const) {
      const top = await engine.topValues(db, projectId, RANGE, filters, dimension, 5, want);
      expect({ filters, dimension, top }).toEqual({
        filters,
        dimension,
        top: await oracleTop(db, projectId, where, column),
      });
    }
  }
}

/** The dashboard's filtered overview (engine when it serves the project, else the old path) against SQL. */
async function expectOverviewExact(db: Database, engine: QueryEngine, projectId: string) {
  const filters: AnalyticsFilter[] = [{ dimension: "path", op: "neq", value: "/pricing" }];
  const overview = await getOverview(
    db,
    { projectId, from: iso(RANGE.from), to: iso(RANGE.to), filters },
    Date.now(),
    engine,
  );
  const expected = await oracleTotals(db, projectId, CASES[1]![1]);
  expect({
    events: overview.totalEvents,
    sessions: overview.uniqueSessions,
    people: overview.uniqueUsers,
  }).toEqual(expected);
}

/** Insert ids of every segment of the project, in segment order. */
async function segmentedInsertIds(db: Database, projectId: string): Promise<string[]> {
  const rows = await queryRows<{ data: Uint8Array }>(
    db,
    sql`select data from analytics_segment_columns where project_id = ${projectId}::uuid and name = ${INSERT_ID_COLUMN}
         order by segment_id`,
  );
  return rows.flatMap((row) => {
    const column = decodeColumn(row.data);
    if (column.kind !== STRINGS) throw new Error("'$insert_id' is not a strings column");
    return column.values;
  });
}

async function storedInsertIds(db: Database, projectId: string): Promise<string[]> {
  const rows = await queryRows<{ insert_id: string }>(
    db,
    sql`select insert_id from events where project_id = ${projectId}::uuid`,
  );
  return rows.map((row) => row.insert_id);
}

async function statusOf(db: Database, projectId: string): Promise<string | null> {
  const [row] = await queryRows<{ status: string }>(
    db,
    sql`select status from analytics_engine_state where project_id = ${projectId}::uuid`,
  );
  return row?.status ?? null;
}

/** Events with random insert ids (they fall on both sides of the backfill's cursor) over the test range. */
function eventsWithRandomIds(projectId: string, seed: number): TestEvent[] {
  return shuffled(generateTestEvents(projectId, BASE, 5, seed), seed).map((row) => ({
    ...row,
    insertId: crypto.randomUUID(),
  }));
}

const MIGRATIONS = path.resolve(import.meta.dirname, "../../../drizzle");

/**
 * How to undo the engine's migration and each one after it (the previous release had none of them). A migration
 * added later must say here how it is undone, or the fixtures refuse to run.
 */
const UNDO: Array<[suffix: string, statements: string[]]> = [
  [
    "_query_engine_segments",
    [
      "drop table analytics_segment_columns, analytics_segments, analytics_engine_state",
      "drop sequence analytics_segment_id_seq",
    ],
  ],
  [
    "_person_traits",
    [
      "drop table analytics_person_traits",
      "drop index events_project_distinct_timestamp_idx, analytics_person_links_person_idx, analytics_users_last_seen_idx",
    ],
  ],
  ["_events_country", ["alter table events drop column country"]],
  [
    "_teams_roles_audit",
    [
      "alter table projects drop column team_id",
      "drop table audit_log, password_reset_tokens, team_invitations, team_members, teams",
    ],
  ],
  [
    // Projects go back to their owner: the owner of the team each belongs to.
    "_projects_belong_to_teams",
    [
      "alter table projects add column owner_id uuid",
      `update projects p set owner_id = (select m.user_id from team_members m where m.team_id = p.team_id
         order by (m.role = 'owner') desc, m.created_at limit 1)`,
      "alter table projects alter column owner_id set not null",
      "alter table projects add constraint projects_owner_id_users_id_fk foreign key (owner_id) references users(id) on delete cascade",
      "create index projects_owner_id_idx on projects (owner_id)",
    ],
  ],
  ["_shares_and_read_keys", ["drop table shares, read_keys"]],
  ["_goals", ["drop table analytics_goals"]],
  ["_bot_filtering", ["drop table bot_filtered_events", "alter table projects drop column bot_filtering"]],
  ["_cohorts", ["drop table cohorts"]],
  [
    "_privacy_deletion_retention",
    [
      "drop table analytics_suppressed_ids",
      "alter table projects drop column retention_days, drop column keep_aggregates_past_retention",
    ],
  ],
  ["_segment_deleted_slots", ["alter table analytics_segments drop column deleted_slots"]],
  [
    "_team_read_keys",
    [
      // Team keys have no project to fall back on: they go before project_id is NOT NULL again.
      "delete from read_keys where team_id is not null",
      "alter table read_keys drop constraint read_keys_one_owner",
      "drop index read_keys_team_id_idx",
      "alter table read_keys drop column team_id",
      "alter table read_keys alter column project_id set not null",
    ],
  ],
];

/** The journal's entries, and where the engine's migration is among them (the previous release ends before it). */
async function journalEntries(): Promise<{ entries: Array<{ tag: string; when: number }>; engineAt: number }> {
  const journal = (await Bun.file(path.join(MIGRATIONS, "meta/_journal.json")).json()) as {
    entries: Array<{ tag: string; when: number }>;
  };
  const engineAt = journal.entries.findIndex((entry) => entry.tag.endsWith("_query_engine_segments"));
  for (const entry of journal.entries.slice(engineAt)) {
    if (!UNDO.some(([suffix]) => entry.tag.endsWith(suffix)))
      throw new Error(`migration ${entry.tag} came after the engine's: say in UNDO how the upgrade fixtures undo it`);
  }
  return { entries: journal.entries, engineAt };
}

/**
 * Turns a fully migrated database back into what the previous release left: the objects of the engine's migration
 * and of the later ones dropped and their rows gone from drizzle's journal, the events, rollups, sessions and users
 * kept. migrateDatabase then upgrades it as a real install would be upgraded.
 */
async function rewindToPreviousRelease(db: Database): Promise<void> {
  const { entries, engineAt } = await journalEntries();
  for (const entry of entries.slice(engineAt).reverse()) {
    for (const statement of UNDO.find(([suffix]) => entry.tag.endsWith(suffix))![1])
      await db.execute(sql.raw(statement));
  }
  await db.execute(sql`delete from drizzle.__drizzle_migrations where created_at >= ${entries[engineAt]!.when}`);
}

/** Tables, columns and sequences of the public schema (to compare a rewound database with a previous release's). */
async function schemaOf(db: Database): Promise<string[]> {
  const rows = await queryRows<{ d: string }>(
    db,
    sql`select table_name || '.' || column_name || ':' || data_type || ':' || is_nullable as d
          from information_schema.columns where table_schema = 'public'
        union all
        select 'sequence ' || sequence_name from information_schema.sequences where sequence_schema = 'public'
        order by 1`,
  );
  return rows.map((row) => row.d);
}

/** The schema of a fresh database migrated by the previous release's migrations only (./drizzle up to the engine's). */
async function previousReleaseSchema(): Promise<string[]> {
  const { entries, engineAt } = await journalEntries();
  const folder = await mkdtemp(path.join(tmpdir(), "ad-migrations-previous-"));
  const dir = await mkdtemp(path.join(tmpdir(), "ad-db-previous-"));
  const previous = entries.slice(0, engineAt);
  await Bun.write(
    path.join(folder, "meta/_journal.json"),
    JSON.stringify({ version: "7", dialect: "postgresql", entries: previous }),
  );
  for (const entry of previous)
    await Bun.write(path.join(folder, `${entry.tag}.sql`), Bun.file(path.join(MIGRATIONS, `${entry.tag}.sql`)));
  const old = await openDatabase({ dataDir: dir, poolSize: 1 });
  try {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(old.db as never, { migrationsFolder: folder });
    return await schemaOf(old.db);
  } finally {
    await old.close();
    await rm(folder, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

function recordingLogger(): { logger: Logger; records: Array<{ message: string; fields?: Record<string, unknown> }> } {
  const records: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const push = (message: string, fields?: Record<string, unknown>) => records.push({ message, fields });
  return { logger: { debug: push, info: push, warn: push, error: push }, records };
}

/** Stores the events in batches of 100, one batch after another, and each third batch a second time. */
async function ingest(db: Database, rows: readonly TestEvent[]): Promise<void> {
  for (let i = 0, n = 0; i < rows.length; i += 100, n++) {
    const batch = rows.slice(i, i + 100);
    await storeEvents(db, batch);
    if (n % 3 === 0) await storeEvents(db, batch);
  }
}

describe.each(["postgres", "pglite"] as const)("engine backfill on %s", (kind) => {
  let services: TestServices | null = null;
  let handle: DatabaseHandle | null = null;
  let dataDir = "";
  let db: Database;
  let userId: string;

  beforeAll(async () => {
    if (kind === "postgres") {
      services = await createTestServices({}, { redis: false });
      handle = services.services.database;
    } else {
      dataDir = await mkdtemp(path.join(tmpdir(), "ad-backfill-"));
      handle = await openDatabase({ dataDir, poolSize: 1 });
      await migrateDatabase(handle);
    }
    db = handle.db;
    const [user] = await db
      .insert(users)
      .values({ email: `backfill-${kind}@example.test`, passwordHash: "x" })
      .returning();
    userId = user!.id;
  }, 120_000);

  afterAll(async () => {
    if (services) await services.cleanup();
    else await handle?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const createProject = async (name: string) => {
    const [project] = await db
      .insert(projects)
      .values({
        teamId: await ensurePersonalTeam(db, userId),
        name,
        apiKeyHash: `h-${kind}-${name}`,
        apiKeyPrefix: "proj_h",
      })
      .returning();
    return project!.id;
  };

  it("upgrades a previous release's database while ingest goes on: every event in one segment, answers exact throughout", async () => {
    const projectId = await createProject("upgrade");
    const emptyProjectId = await createProject("upgrade-empty");
    const before = eventsWithRandomIds(projectId, 3);
    await storeTestEvents(db, before, 250);
    await rewindToPreviousRelease(db);
    // What the previous release's migrations make of an empty database, no more and no less.
    const previous = await previousReleaseSchema();
    expect(previous.filter((line) => line.startsWith("events."))).toContain("events.insert_id:text:NO");
    expect(await schemaOf(db)).toEqual(previous);
    await migrateDatabase(handle!);

    // The migration marked the project with events, and only it.
    expect(await statusOf(db, projectId)).toBe("backfilling");
    expect(await statusOf(db, emptyProjectId)).toBeNull();
    const engine = new QueryEngine({ cacheBytes: 64 << 20 });
    expect(await engine.totals(db, projectId, [RANGE], [], { sessions: true, people: true })).toBeNull();
    await expectOverviewExact(db, engine, projectId);

    // Phase 1: chunk by chunk, with the pipeline storing new events (and resending some) meanwhile.
    const { logger, records } = recordingLogger();
    const backfill = new EngineBackfill(db, logger, { chunkSize: 300 });
    const during = eventsWithRandomIds(projectId, 5);
    const firstHalf = during.slice(0, Math.floor(during.length / 2));
    const chunks = async () => {
      for (let i = 0; i < 4; i++) {
        const chunk = await backfill.backfillChunk(projectId);
        expect(chunk?.finished).toBe(false);
        // Still backfilling: the engine declines and the old path answers.
        expect(await engine.totals(db, projectId, [RANGE], [], { sessions: true, people: true })).toBeNull();
      }
    };
    await Promise.all([chunks(), ingest(db, firstHalf)]);
    expect(await statusOf(db, projectId)).toBe("backfilling");
    await expectOverviewExact(db, engine, projectId);
    if (services) {
      const body = (await services.services.metrics.render()).body;
      expect(body).toContain("analytics_engine_backfill_projects_pending 1");
      expect(body).toMatch(/analytics_engine_backfill_events_total [1-9]\d*/);
    }

    // Phase 2: a fresh process's maintenance loop finishes it (it learns the writer's segments from scratch).
    const maintenance = startEngineMaintenance(
      { db, logger },
      { chunkSize: 300, intervalMs: 20, embedded: kind === "pglite" },
    );
    try {
      await ingest(db, during.slice(firstHalf.length));
      for (let waited = 0; (await statusOf(db, projectId)) !== "ready"; waited += 50) {
        if (waited > 60_000) throw new Error("the backfill did not finish in 60 s");
        await Bun.sleep(50);
      }
    } finally {
      await maintenance.stop();
    }
    // Ingest after 'ready' goes through the writer only.
    await ingest(db, eventsWithRandomIds(projectId, 9).slice(0, 300));

    const segmented = await segmentedInsertIds(db, projectId);
    const stored = await storedInsertIds(db, projectId);
    expect(segmented.length).toBe(stored.length);
    expect(new Set(segmented).size).toBe(segmented.length);
    expect(new Set(segmented)).toEqual(new Set(stored));
    await expectEngineExact(db, engine, projectId);
    await expectOverviewExact(db, engine, projectId);

    const [state] = await queryRows<{ backfilled: string | number }>(
      db,
      sql`select backfilled from analytics_engine_state where project_id = ${projectId}::uuid`,
    );
    expect(Number(state!.backfilled)).toBe(before.length);
    const progress = records.filter((r) => r.message === "engine backfill: progress");
    expect(progress.length).toBeGreaterThan(0);
    // The estimate counts what was stored when it was taken: the events before the upgrade, perhaps a few more.
    const total = Number(progress[0]!.fields!.total);
    expect(total).toBeGreaterThanOrEqual(before.length);
    expect(total).toBeLessThanOrEqual(before.length + during.length);
    expect(progress[0]!.fields!.project).toBe(projectId);
    // Events the writer segmented ahead of the cursor were met, and left out.
    expect(progress.reduce((sum, r) => sum + Number(r.fields!.skipped), 0)).toBeGreaterThan(0);
    expect(records.some((r) => r.message.startsWith("engine backfill: project ready"))).toBe(true);
    expect(records.filter((r) => r.message.includes("failed"))).toEqual([]);
    if (services) {
      const body = (await services.services.metrics.render()).body;
      expect(body).toContain("analytics_engine_backfill_projects_pending 0");
      expect(body).toContain(`analytics_engine_backfill_events_total ${before.length}`);
    }
  }, 180_000);

  it("adds a dimension column that old segments lack, under new segment ids, and answers stay exact", async () => {
    const projectId = await createProject("new-dimension");
    await storeTestEvents(db, eventsWithRandomIds(projectId, 13), 400);
    // Segments written before the `browser` and `os` rows existed have no such columns.
    await db.execute(
      sql`delete from analytics_segment_columns where project_id = ${projectId}::uuid and name in ('browser', 'os')`,
    );
    const oldIds = (
      await queryRows<{ segment_id: string | number }>(
        db,
        sql`select segment_id from analytics_segments where project_id = ${projectId}::uuid`,
      )
    ).map((row) => Number(row.segment_id));
    const engine = new QueryEngine({ cacheBytes: 64 << 20 });
    const chrome: EngineFilter[] = [{ dimension: "browser", op: "eq", value: "Chrome" }];
    // Without the column no event matches: the gap the backfill closes.
    const [gap] = (await engine.totals(db, projectId, [RANGE], chrome, { sessions: false, people: false }))!;
    expect(gap!.events).toBe(0);

    const { logger, records } = recordingLogger();
    const maintenance = new EngineMaintenance(db, logger);
    for (let i = 0; (await maintenance.step()).more; i++) if (i > 50) throw new Error("the fix did not converge");

    const [missing] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from analytics_segments s where s.project_id = ${projectId}::uuid
           and (select count(*) from analytics_segment_columns c where c.project_id = s.project_id
                  and c.segment_id = s.segment_id and c.name in ('browser', 'os')) <> 2`,
    );
    expect(missing!.n).toBe(0);
    const newIds = (
      await queryRows<{ segment_id: string | number }>(
        db,
        sql`select segment_id from analytics_segments where project_id = ${projectId}::uuid`,
      )
    ).map((row) => Number(row.segment_id));
    expect(newIds.filter((id) => oldIds.includes(id))).toEqual([]);
    const segmented = await segmentedInsertIds(db, projectId);
    expect(segmented.toSorted()).toEqual((await storedInsertIds(db, projectId)).toSorted());
    await expectEngineExact(db, engine, projectId);
    expect(records.filter((r) => r.message === "engine: dimension columns added to a segment").length).toBe(
      oldIds.length,
    );
    expect(records.filter((r) => r.message.includes("failed"))).toEqual([]);
  }, 180_000);
});

describe("engine backfill through the worker", () => {
  let t: TestServices;

  beforeAll(async () => {
    t = await createTestServices({}, { redis: false });
  }, 120_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  it("runs in the background of a booted worker while ingest answers 202, and ends with every event in one segment", async () => {
    const { db } = t.services;
    const project = await createTestProject(db);
    const before = eventsWithRandomIds(project.projectId, 17);
    await storeTestEvents(db, before, 500);
    await rewindToPreviousRelease(db);
    await migrateDatabase(t.services.database);
    expect(await statusOf(db, project.projectId)).toBe("backfilling");

    const server = startHttpServer(t.services, { port: 55_711, hostname: "127.0.0.1" });
    const worker = await bootWorker(t.services, { maintenance: { chunkSize: 250, intervalMs: 20 } });
    let posted = 0;
    let batches = 0;
    const deadline = Date.now() + 90_000;
    try {
      for (;;) {
        const res = await fetch(`${server.url}/api/v1/events/ingest`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": project.apiKey },
          body: JSON.stringify({ events: makeEvents(20) }),
        });
        expect(res.status).toBe(202);
        posted += 20;
        batches += 1;
        if ((await statusOf(db, project.projectId)) === "ready") break;
        if (Date.now() > deadline) throw new Error("the backfill did not finish in 90 s");
        await Bun.sleep(2);
      }
      expect(
        await waitFor(async () => (await countEvents(db, project.projectId)) === before.length + posted, 30_000),
      ).toBe(true);
    } finally {
      await worker.stop();
      await server.stop();
    }
    expect(batches).toBeGreaterThan(1);
    const segmented = await segmentedInsertIds(db, project.projectId);
    expect(segmented.length).toBe(before.length + posted);
    expect(new Set(segmented)).toEqual(new Set(await storedInsertIds(db, project.projectId)));
    await expectEngineExact(db, new QueryEngine({ cacheBytes: 64 << 20 }), project.projectId);
  }, 180_000);
});

describe("engine backfill metrics", () => {
  it("do not fail the scrape when the database cannot be read", async () => {
    const { createMetrics } = await import("../../metrics/metrics.ts");
    const { MemoryEventStream } = await import("../../pipeline/stream/memory-event-stream.ts");
    const { MemoryStoredEventsCounter } = await import("../../metrics/stored-events-counter.ts");
    const stream = new MemoryEventStream();
    const metrics: Metrics = createMetrics({
      stream,
      storedEvents: new MemoryStoredEventsCounter(),
      suppressedEvents: new MemoryStoredEventsCounter(),
      engineBackfill: () => Promise.reject(new Error("database away")),
    });
    const body = (await metrics.render()).body;
    expect(body).toContain("analytics_stream_length 0");
    await stream.close();
  });
});
