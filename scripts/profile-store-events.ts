/**
 * Profiles the worker's write path alone: `bun scripts/profile-store-events.ts [batches] [--explain]` creates a
 * scratch database (ad_bench_explain_<pid>) on the local PostgreSQL, stores batches of 2,700 benchmark events
 * through storeEvents on one connection, and prints wall time and this process's CPU per batch. With --explain,
 * auto_explain logs every statement's plan with actual times to the PostgreSQL log. The database is dropped at
 * the end. For comparing builds of storeEvents/applyRollups on a busy machine: alternate runs, compare averages.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { openDatabase } from "../server/db/client.ts";
import { migrateDatabase } from "../server/db/migrate.ts";
import { projects, users } from "../server/db/schema/index.ts";
import { storeEvents, type EventRow } from "../server/queries/events/store-events.ts";
import { createRandom, makeClientEvents } from "../bench/lib/payloads.ts";
import { cpuSeconds } from "../bench/lib/procs.ts";

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
  const [project] = await db.insert(projects).values({ ownerId: user!.id, name: "p", apiKeyHash: "h", apiKeyPrefix: "proj_h" }).returning();
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
  const backendPid = ((await db.execute(sql`select pg_backend_pid() as pid`)) as unknown as Array<{ pid: number }>)[0]!.pid;
  for (let b = 0; b < batches; b++) {
    const now = Date.now();
    // --fixed: the benchmark's pipeline workload, one body of 100 events replayed (the same sessions every batch).
    const clientEvents = fixed ? Array.from({ length: 27 }, () => fixedEvents).flat() : makeClientEvents(2700, random, now);
    const rows: EventRow[] = clientEvents.map((e) => {
      const url = new URL(e.page_url);
      return {
        projectId: project!.id, insertId: Bun.randomUUIDv7(), eventName: e.event, distinctId: e.distinct_id, sessionId: e.session_id,
        properties: e.properties, pageUrl: e.page_url, path: url.pathname, host: url.host, referrer: e.referrer || null,
        referrerHost: e.referrer ? new URL(e.referrer).host : null, utmSource: url.searchParams.get("utm_source"),
        utmMedium: url.searchParams.get("utm_medium"), utmCampaign: url.searchParams.get("utm_campaign"),
        userAgent: "Mozilla/5.0", browser: "Chrome", os: "macOS", device: "desktop", ipHash: "abc",
        timestamp: new Date(e.timestamp), receivedAt: new Date(now),
      } as EventRow;
    });
    const server0 = (await cpuSeconds(backendPid)) ?? 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await storeEvents(db, rows);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const serverMs = (((await cpuSeconds(backendPid)) ?? 0) - server0) * 1000;
    if (b >= 3) { total += ms; totalCpu += (cpu.user + cpu.system) / 1000; totalServerCpu += serverMs; }
    console.log(`batch ${b}: ${ms.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms client cpu, ${serverMs.toFixed(0)} ms PostgreSQL cpu`);
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
