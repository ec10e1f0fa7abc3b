/**
 * Profiles the worker's write path alone: `bun scripts/profile-store-events.ts [batches] [--fixed] [--explain]`
 * creates a scratch database (ad_bench_explain_<pid>) on the local PostgreSQL, stores batches of 2,700 benchmark
 * events (made into rows by ingest's own validation and enrichment) through storeEvents on one connection, and
 * prints wall time, this process's CPU and the PostgreSQL backend's CPU per batch. By default every event is new
 * (mostly a new session each); --fixed replays one 100-event body 27 times per batch, as the benchmark's pipeline
 * phases do. With --explain, auto_explain logs every statement's plan with actual times to the PostgreSQL log. The
 * database is dropped at the end. For comparing builds on a busy machine: alternate runs, compare averages.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { type ClientEvent, createRandom, makeClientEvents, USER_AGENT } from "../bench/lib/payloads.ts";
import { cpuSeconds } from "../bench/lib/procs.ts";
import { openDatabase } from "../server/db/client.ts";
import { migrateDatabase } from "../server/db/migrate.ts";
import { projects, users } from "../server/db/schema/index.ts";
import { IpHasher, parseUserAgent } from "../server/http/ingest/enrich.ts";
import { validateEvents } from "../server/http/ingest/validate-events.ts";
import { decodeEventBatch, encodeEventBatch } from "../server/pipeline/entry/event-batch.ts";
import { type EventRow, storeEvents } from "../server/pipeline/store/store-events.ts";
import { ensurePersonalTeam } from "../server/queries/teams/ensure-personal-team.ts";

const ipHasher = new IpHasher("profile-store-events");

/** The rows the worker would store for these events, sent as requests of 100 (ingest's own validation and enrichment). */
function storedRows(projectId: string, events: readonly ClientEvent[], now: number): EventRow[] {
  const rows: EventRow[] = [];
  for (let i = 0; i < events.length; i += 100) {
    const { accepted } = validateEvents(events.slice(i, i + 100), { now, sentAt: null, clean: false });
    const context = {
      projectId,
      receivedAt: now,
      userAgent: USER_AGENT,
      ipHash: ipHasher.hash("127.0.0.1", now),
      country: null,
      ...parseUserAgent(USER_AGENT),
    };
    rows.push(...decodeEventBatch(encodeEventBatch(context, accepted).payload!));
  }
  return rows;
}

const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const name = `ad_bench_explain_${process.pid}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${name}`;
const admin = postgres(ADMIN_URL, { onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const migrator = await openDatabase({ databaseUrl, dataDir: "/tmp", poolSize: 3 });
await migrateDatabase(migrator);
await migrator.close();
const handle = await openDatabase({ databaseUrl, dataDir: "/tmp", poolSize: 1 });
try {
  const db = handle.db;
  const [user] = await db.insert(users).values({ email: "x@example.test", passwordHash: "x" }).returning();
  const [project] = await db
    .insert(projects)
    .values({ teamId: await ensurePersonalTeam(db, user!.id), name: "p", apiKeyHash: "h", apiKeyPrefix: "proj_h" })
    .returning();
  const random = createRandom(7);
  const explain = process.argv.includes("--explain");
  if (explain) {
    await db.execute(sql`load 'auto_explain'`);
    await db.execute(sql`set auto_explain.log_min_duration = 0`);
    await db.execute(sql`set auto_explain.log_analyze = on`);
    await db.execute(sql`set auto_explain.log_nested_statements = on`);
  }
  const batches = Number(process.argv[2] ?? 20);
  const fixed = process.argv.includes("--fixed");
  const fixedEvents = makeClientEvents(100, createRandom(42));
  let total = 0;
  let totalCpu = 0;
  let totalServerCpu = 0;
  const backendPid = ((await db.execute(sql`select pg_backend_pid() as pid`)) as unknown as Array<{ pid: number }>)[0]!
    .pid;
  for (let b = 0; b < batches; b++) {
    const now = Date.now();
    // --fixed: the benchmark's pipeline workload, one body of 100 events replayed (the same sessions every batch).
    const clientEvents = fixed
      ? Array.from({ length: 27 }, () => fixedEvents).flat()
      : makeClientEvents(2700, random, now);
    const rows = storedRows(project!.id, clientEvents, now);
    const server0 = (await cpuSeconds(backendPid)) ?? 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await storeEvents(db, rows);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const serverMs = (((await cpuSeconds(backendPid)) ?? 0) - server0) * 1000;
    if (b >= 3) {
      total += ms;
      totalCpu += (cpu.user + cpu.system) / 1000;
      totalServerCpu += serverMs;
    }
    console.log(
      `batch ${b}: ${ms.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms client cpu, ${serverMs.toFixed(0)} ms PostgreSQL cpu`,
    );
  }
  const warm = batches - 3;
  console.log(
    `avg after warm-up: ${(total / warm).toFixed(1)} ms wall, ${(totalCpu / warm).toFixed(1)} ms client cpu, ` +
      `${(totalServerCpu / warm).toFixed(1)} ms PostgreSQL cpu per 2,700 events`,
  );
} finally {
  await handle.close();
  await admin.unsafe(`drop database ${name} with (force)`);
  await admin.end();
}
