/**
 * The product, started as a user starts it: `bun server/main.ts server` and `bun server/main.ts worker` (what
 * `bun run server` / `bun run worker` run) in production mode against the run's database and key prefix, or
 * `bun server/main.ts start` in embedded mode (no DATABASE_URL, no REDIS_URL). Limits that exist to protect a
 * public deployment from abuse (per-IP tRPC rate limit, per-key ingest rate limit) are raised so they do not cap
 * a benchmark that deliberately sends a flood from one IP with one key; everything else keeps its default.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { BenchContext } from "./context.ts";
import { type Child, freePort, spawnChild, tailLog, waitForHttp } from "./procs.ts";

export interface RunningProduct {
  baseUrl: string;
  server: Child;
  worker: Child | null;
  stop(): Promise<void>;
}

function productEnv(ctx: BenchContext, port: number, dataDir: string): Record<string, string> {
  return {
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.options.redisUrl,
    REDIS_KEY_PREFIX: ctx.redisPrefix,
    SECRET_KEY: ctx.secretKey,
    DATA_DIR: dataDir,
    COOKIE_SECURE: "false",
    LOG_LEVEL: "info",
    RATE_LIMIT_PER_MINUTE: "1000000",
    INGEST_RATE_LIMIT_PER_MINUTE: "100000000",
    ACCESS_TOKEN_EXPIRE_MINUTES: "1440",
    ...ctx.options.productEnv,
  };
}

/** With --cpu-prof, Bun writes a CPU profile of the process into the scratch folder when it exits. */
function profileFlags(ctx: BenchContext): string[] {
  return ctx.options.cpuProfile ? ["--cpu-prof", `--cpu-prof-dir=${ctx.dir}`] : [];
}

/** The stream the server writes and the worker reads (`events:ingest` under the run's prefix). */
export function streamKey(ctx: BenchContext): string {
  return `${ctx.redisPrefix}events:ingest`;
}

/** Runs the migrations the way an operator does (`bun run db:migrate`), before anything touches `events`. */
export function migrateEnv(ctx: BenchContext): Record<string, string> {
  return productEnv(ctx, 0, path.join(ctx.dir, "data-migrate"));
}

/** Starts the API server (and, unless `worker: false`, one worker) in production mode. */
export async function startProduct(ctx: BenchContext, { worker = true } = {}): Promise<RunningProduct> {
  const port = await freePort();
  const dataDir = path.join(ctx.dir, "data-production");
  await mkdir(dataDir, { recursive: true });
  const env = productEnv(ctx, port, dataDir);
  const server = spawnChild({
    name: "server",
    command: [process.execPath, ...profileFlags(ctx), "server/main.ts", "server"],
    env,
    logFile: path.join(ctx.dir, `server-${port}.log`),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  let workerChild: Child | null = null;
  try {
    await waitForHttp(`${baseUrl}/api/v1/health/ready`, server);
    if (worker) workerChild = await startWorker(ctx, env);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const running: RunningProduct = {
    baseUrl,
    server,
    worker: workerChild,
    // Reads `worker` when called: phases replace the worker (drain window), and the current one must stop too.
    stop: async () => {
      await Promise.all([server.stop(), running.worker?.stop()]);
    },
  };
  return running;
}

/** Starts a worker and waits until it has joined the consumer group (so timing starts with a live consumer). */
export async function startWorker(ctx: BenchContext, env?: Record<string, string>): Promise<Child> {
  const workerEnv = env ?? productEnv(ctx, 0, path.join(ctx.dir, "data-production"));
  const child = spawnChild({
    name: "worker",
    command: [process.execPath, ...profileFlags(ctx), "server/main.ts", "worker"],
    env: workerEnv,
    logFile: path.join(ctx.dir, `worker-${Date.now()}.log`),
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null)
      throw new Error(`worker exited with code ${child.proc.exitCode}:\n${await tailLog(child)}`);
    if ((await consumerCount(ctx)) > 0) return child;
    await Bun.sleep(100);
  }
  await child.stop();
  throw new Error(`worker did not join the consumer group of ${streamKey(ctx)} within 30 s:\n${await tailLog(child)}`);
}

async function consumerCount(ctx: BenchContext): Promise<number> {
  const groups = await streamGroups(ctx);
  let consumers = 0;
  for (const group of groups) {
    const fields = toRecord(group);
    consumers += Number(fields.consumers ?? 0);
  }
  return consumers;
}

/** XINFO GROUPS of the ingest stream; none while the stream does not exist yet (any other error is thrown). */
async function streamGroups(ctx: BenchContext): Promise<unknown[][]> {
  try {
    return (await ctx.redis.xinfo("GROUPS", streamKey(ctx))) as unknown[][];
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return [];
    throw error;
  }
}

/** Turns Redis's flat [name, value, name, value] replies into an object. */
export function toRecord(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1];
  return record;
}

export interface StreamBacklog {
  /** Entries not yet delivered to the group plus entries delivered and not yet acknowledged. */
  backlog: number;
  length: number;
}

/**
 * How far the worker is behind: the group's `lag` (undelivered) plus `pending` (delivered, not acked, i.e. not yet
 * committed). Zero means every entry written so far is stored. Falls back to XLEN when the group has no lag field.
 */
export async function streamBacklog(ctx: BenchContext): Promise<StreamBacklog> {
  const key = streamKey(ctx);
  const length = await ctx.redis.xlen(key);
  const groups = await streamGroups(ctx);
  if (groups.length === 0) return { backlog: length, length };
  let backlog = 0;
  for (const group of groups) {
    const fields = toRecord(group);
    const lag = fields.lag === null || fields.lag === undefined ? length : Number(fields.lag);
    backlog = Math.max(backlog, lag + Number(fields.pending ?? 0));
  }
  return { backlog, length };
}

/**
 * Discards what is in the stream (the ingest phase's entries, or what a drain window left): unlinks the stream
 * (Redis frees it in the background, so the shared server does not stall on a stream of a gigabyte) and recreates
 * the consumer group the way the product does at boot (XGROUP CREATE ... 0 MKSTREAM). Only with no worker
 * running; the server only appends, so it carries on. Keeps a backlog from spilling into the phases that follow.
 */
export async function resetStream(ctx: BenchContext): Promise<void> {
  const key = streamKey(ctx);
  await ctx.redis.unlink(key);
  await ctx.redis.xgroup("CREATE", key, "event_workers", "0", "MKSTREAM");
}

/** Starts `bun server/main.ts start` in embedded mode (PGlite, in-process stream and worker) on a fresh data folder. */
export async function startEmbedded(ctx: BenchContext): Promise<{ baseUrl: string; child: Child }> {
  const port = await freePort();
  const dataDir = path.join(ctx.dir, "data-embedded");
  await mkdir(dataDir, { recursive: true });
  const child = spawnChild({
    name: "embedded",
    command: [process.execPath, "server/main.ts", "start"],
    env: {
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      COOKIE_SECURE: "false",
      LOG_LEVEL: "info",
      RATE_LIMIT_PER_MINUTE: "1000000",
      INGEST_RATE_LIMIT_PER_MINUTE: "100000000",
    },
    unset: ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "REDIS_KEY_PREFIX"],
    logFile: path.join(ctx.dir, "embedded.log"),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${baseUrl}/api/v1/health/ready`, child, 60_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { baseUrl, child };
}
