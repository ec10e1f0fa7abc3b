/**
 * The PostgreSQL-restart scenario of issue 13 on private servers: a private cluster and redis-server, `bun run
 * server` and two `bun run worker` processes against them, a steady ingest load, and a script of faults at given
 * seconds (PostgreSQL stopped with `-m immediate` and started again, Redis killed and started again, a worker frozen
 * with SIGSTOP and thawed). It reports what a user would notice: every answer's status, which events were answered
 * 202, and whether a process exited; the test asserts on that report, and `bun` can run it by hand at full rate.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type Database, queryRows } from "../db/client.ts";
import { inheritedEnvironment } from "../env.ts";
import { freePort, waitForHttp } from "./free-port.ts";
import { createTestProject, makeEvents, sumRollupCounts, waitFor } from "./ingest-fixtures.ts";
import { startPrivatePostgres } from "./private-postgres.ts";
import { startPrivateRedis } from "./private-redis.ts";

const MAIN = path.resolve(import.meta.dirname, "../main.ts");

export type Fault = "stopPostgres" | "startPostgres" | "stopRedis" | "startRedis" | "freezeWorker" | "thawWorker";

export interface ScenarioOptions {
  /** Seconds of load. */
  loadSeconds: number;
  batchSize: number;
  /** One batch every `intervalMs` (50 every 25 ms is the 2,000 events/s). */
  intervalMs: number;
  /** At which second of the load each fault happens. */
  faults: Array<{ at: number; fault: Fault }>;
  /** How long after the load ends every accepted event must be stored. */
  drainSeconds: number;
  log?: (line: string) => void;
}

export interface ScenarioReport {
  /** Answers by status ("error" when the request itself failed: nothing listened). */
  statuses: Record<string, number>;
  /** Statuses of the answers sent while both PostgreSQL and Redis were down. */
  statusesWhileBothDown: Record<string, number>;
  /** 503 answers without a Retry-After header. */
  unavailableWithoutRetryAfter: number;
  accepted: number;
  /** Accepted events found in the events table (each insert id is unique per project, so at most once each). */
  storedAccepted: number;
  storedTotal: number;
  rollupTotal: number;
  /** Seconds from the end of the load until every accepted event was stored (null: not within drainSeconds). */
  drainedAfterSeconds: number | null;
  /** Exit codes of the processes that ended before the scenario stopped them. */
  exited: Array<{ name: string; code: number | null }>;
  /** Lines of the processes' output that say they crashed. */
  crashLines: string[];
}

interface Child {
  name: string;
  proc: ReturnType<typeof Bun.spawn>;
  output: string[];
}

function spawnChild(name: string, command: string, env: Record<string, string>): Child {
  const proc = Bun.spawn([process.execPath, MAIN, command], { env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const output: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    for (let read = await reader.read(); !read.done; read = await reader.read())
      output.push(decoder.decode(read.value));
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  return { name, proc, output };
}

/** Bun's report of a process-ending error (plain text), and main.ts's log of a stray error (JSON). */
const CRASH = /TypeError|uncaught|unhandled|Failed to start|error: /i;
const STRAY = /"msg":"(unhandled promise rejection|uncaught exception)/;

export async function runOutageScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const log = options.log ?? (() => {});
  const cleanups: Array<() => Promise<unknown>> = [];
  const children: Child[] = [];
  try {
    const pg = await startPrivatePostgres();
    cleanups.push(() => pg.destroy());
    const redisDir = await mkdtemp(path.join(tmpdir(), "ad-private-redis-"));
    cleanups.push(() => rm(redisDir, { recursive: true, force: true }));
    // AOF with fsync on every write: a killed Redis keeps every entry it confirmed, so what this scenario loses (if
    // anything) is ours, not Redis's.
    const redis = await startPrivateRedis(["--appendonly", "yes", "--appendfsync", "always", "--dir", redisDir]);
    cleanups.push(() => redis.stop());
    const dataDir = await mkdtemp(path.join(tmpdir(), "ad-outage-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    const port = await freePort();
    const env = inheritedEnvironment();
    Object.assign(env, {
      NODE_ENV: "production",
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: "ad_outage:",
      SECRET_KEY: `outage-secret-${Bun.randomUUIDv7()}`,
      DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      COOKIE_SECURE: "false",
      WORKER_BATCH_SIZE: "200",
    });
    const server = spawnChild("server", "server", env);
    children.push(server);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/api/v1/health/ready`, 30_000);
    // At info level the workers say when they are running: the faults start only then (a worker still booting
    // when PostgreSQL stops fails to start, which is its supervisor's business, not this scenario's).
    const workerEnv = { ...env, LOG_LEVEL: "info" };
    const workers = [spawnChild("worker-1", "worker", workerEnv), spawnChild("worker-2", "worker", workerEnv)];
    children.push(...workers);
    const started = (c: Child) => c.output.join("").includes('"msg":"worker started"');
    if (!(await waitFor(async () => workers.every(started), 30_000, 100))) throw new Error("the workers did not start");

    const client = postgres(pg.url, { max: 1, onnotice: () => {} });
    const db = drizzle(client, { casing: "snake_case" }) as unknown as Database;
    const project = await createTestProject(db);
    await client.end();

    const statuses: Record<string, number> = {};
    const statusesWhileBothDown: Record<string, number> = {};
    let unavailableWithoutRetryAfter = 0;
    const acceptedPrefixes: string[] = [];
    let postgresDown = false;
    let redisDown = false;
    const inFlight = new Set<Promise<void>>();
    const send = async (prefix: string) => {
      const bothDown = postgresDown && redisDown;
      let status: string;
      try {
        const res = await fetch(`${base}/api/v1/events/ingest`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": project.apiKey },
          body: JSON.stringify({ events: makeEvents(options.batchSize, prefix) }),
        });
        await res.arrayBuffer();
        status = String(res.status);
        if (res.status === 202) acceptedPrefixes.push(prefix);
        if (res.status === 503 && !(Number(res.headers.get("retry-after")) > 0)) unavailableWithoutRetryAfter++;
      } catch {
        status = "error";
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      // Both down for the whole request: a request that straddles a restart may be answered either way.
      if (bothDown && postgresDown && redisDown)
        statusesWhileBothDown[status] = (statusesWhileBothDown[status] ?? 0) + 1;
    };

    const frozen = workers[0]!;
    const actions: Record<Fault, () => Promise<void>> = {
      stopPostgres: async () => {
        await pg.stop();
        postgresDown = true;
      },
      startPostgres: async () => {
        await pg.start();
        postgresDown = false;
      },
      stopRedis: async () => {
        await redis.stop();
        redisDown = true;
      },
      startRedis: async () => {
        await redis.start();
        redisDown = false;
      },
      freezeWorker: async () => void frozen.proc.kill("SIGSTOP"),
      thawWorker: async () => void frozen.proc.kill("SIGCONT"),
    };
    const pendingFaults = [...options.faults].sort((a, b) => a.at - b.at);
    const faultRuns: Promise<void>[] = [];

    const loadStarted = performance.now();
    let batch = 0;
    while (performance.now() - loadStarted < options.loadSeconds * 1_000) {
      const elapsed = (performance.now() - loadStarted) / 1_000;
      while (pendingFaults.length && pendingFaults[0]!.at <= elapsed) {
        const { fault } = pendingFaults.shift()!;
        log(`${elapsed.toFixed(1)} s: ${fault}`);
        faultRuns.push(actions[fault]());
      }
      const request = send(`b${batch++}`).finally(() => inFlight.delete(request));
      inFlight.add(request);
      const next = loadStarted + batch * options.intervalMs;
      await Bun.sleep(Math.max(0, next - performance.now()));
    }
    await Promise.all(inFlight);
    for (const { fault } of pendingFaults) faultRuns.push(actions[fault]());
    await Promise.all(faultRuns);
    const loadEnded = performance.now();
    const accepted = acceptedPrefixes.length * options.batchSize;
    log(`load ended: ${batch} batches, statuses ${JSON.stringify(statuses)}, accepted ${accepted} events`);

    const observer = postgres(pg.url, { max: 1, onnotice: () => {} });
    cleanups.push(() => observer.end());
    const odb = drizzle(observer, { casing: "snake_case" }) as unknown as Database;
    const prefixes = new Set(acceptedPrefixes);
    const storedAcceptedNow = async () => {
      const rows = await queryRows<{ insert_id: string }>(
        odb,
        sql`select insert_id from events where project_id = ${project.projectId}`,
      );
      let n = 0;
      for (const row of rows) if (prefixes.has(row.insert_id.slice(0, row.insert_id.lastIndexOf("-")))) n++;
      return { stored: n, total: rows.length };
    };
    const drained = await waitFor(
      async () => (await storedAcceptedNow()).stored === accepted,
      options.drainSeconds * 1_000,
      250,
    );
    const drainedAfterSeconds = drained ? (performance.now() - loadEnded) / 1_000 : null;
    // Let the workers acknowledge and the rollups settle on the last batch before comparing.
    await Bun.sleep(500);
    const { stored, total } = await storedAcceptedNow();
    const rollupTotal = await sumRollupCounts(odb, project.projectId);

    const exited = children.filter((c) => c.proc.exitCode !== null || c.proc.signalCode !== null);
    const crashLines = children.flatMap((c) =>
      c.output
        .join("")
        .split("\n")
        .filter((line) => (CRASH.test(line) && !line.startsWith("{")) || STRAY.test(line))
        .map((line) => `${c.name}: ${line}`),
    );
    return {
      statuses,
      statusesWhileBothDown,
      unavailableWithoutRetryAfter,
      accepted,
      storedAccepted: stored,
      storedTotal: total,
      rollupTotal,
      drainedAfterSeconds,
      exited: exited.map((c) => ({ name: c.name, code: c.proc.exitCode })),
      crashLines,
    };
  } finally {
    for (const child of children) {
      // SIGTERM first: a process killed outright loses the log lines it has not flushed yet.
      child.proc.kill("SIGCONT");
      child.proc.kill("SIGTERM");
      const timer = setTimeout(() => child.proc.kill("SIGKILL"), 12_000);
      await child.proc.exited;
      clearTimeout(timer);
      log(`--- output of ${child.name} (last 8 KB)\n${child.output.join("").slice(-8_000)}`);
    }
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
