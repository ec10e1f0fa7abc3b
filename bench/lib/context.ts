/**
 * What every phase of a run shares: the options, a scratch folder for bodies and logs, the run's own database and
 * Redis key prefix on the shared servers, and the collected results and errors.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import postgres from "postgres";
import type { BenchOptions } from "./args.ts";

export interface BenchContext {
  options: BenchOptions;
  /** Scratch folder (bodies, process logs); removed at the end unless the run failed. */
  dir: string;
  /** Unique to this run: database `<prefix>_<id>`, Redis prefix `<prefix>:<id>:` (--name-prefix, default ad_bench). */
  runId: string;
  databaseName: string;
  databaseUrl: string;
  redisPrefix: string;
  secretKey: string;
  /** Admin connection on the run's database (COPY ceiling, spot checks, row counts). */
  sql: postgres.Sql;
  redis: Redis;
  errors: Array<{ part: string; message: string }>;
  log(message: string): void;
}

/** Creates the run's database (or takes --dataset's) and scratch folder and opens the connections. */
export async function openBenchContext(options: BenchOptions): Promise<BenchContext> {
  const runId = Bun.randomUUIDv7().replaceAll("-", "").slice(-12);
  const databaseName = options.dataset ?? `${options.namePrefix}_${runId}`;
  if (!options.dataset) {
    const admin = postgres(options.postgresUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database "${databaseName}"`);
    } finally {
      await admin.end();
    }
  }
  const url = new URL(options.postgresUrl);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const started = Date.now();
  return {
    options,
    dir: await mkdtemp(path.join(tmpdir(), "ad-bench-")),
    runId,
    databaseName,
    databaseUrl,
    redisPrefix: `${options.namePrefix}:${runId}:`,
    secretKey: `bench-secret-${Bun.randomUUIDv7()}`,
    sql: postgres(databaseUrl, { max: 4, onnotice: () => {} }),
    redis: new Redis(options.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false }),
    errors: [],
    log: (message) => console.log(`[bench +${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`),
  };
}

/** Drops the database, deletes every key under the run's prefix (SCAN, never FLUSH), closes connections. */
export async function closeBenchContext(
  ctx: BenchContext,
  { keepDatabase = false, keepDir = false } = {},
): Promise<void> {
  await ctx.sql.end({ timeout: 5 });
  let cursor = "0";
  do {
    const [next, keys] = await ctx.redis.scan(cursor, "MATCH", `${ctx.redisPrefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await ctx.redis.unlink(...keys);
  } while (cursor !== "0");
  ctx.redis.disconnect();
  if (!keepDatabase) {
    const admin = postgres(ctx.options.postgresUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database if exists "${ctx.databaseName}" with (force)`);
    } finally {
      await admin.end();
    }
  }
  if (!keepDir) await rm(ctx.dir, { recursive: true, force: true });
}
