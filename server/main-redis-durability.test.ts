import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, waitForHttp } from "./test-support/free-port.ts";
import { type PrivateRedis, startPrivateRedis } from "./test-support/private-redis.ts";
import { createTestDatabase, type TestDatabase } from "./test-support/services.ts";

const root = path.resolve(import.meta.dirname, "..");
let database: TestDatabase;
let dataDir: string;
const servers: PrivateRedis[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(path.join(tmpdir(), "ad-durability-"));
});
afterAll(async () => {
  for (const server of servers) await server.stop();
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function privateRedis(args: string[]): Promise<PrivateRedis> {
  const server = await startPrivateRedis(["--dir", dataDir, "--appendfilename", `aof-${servers.length}.aof`, ...args]);
  servers.push(server);
  return server;
}

const AOF = ["--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"];

/** `bun server/main.ts server` against a private Redis and a test database of the shared PostgreSQL. */
function startServer(redis: PrivateRedis, port: number, env: Record<string, string> = {}) {
  return Bun.spawn(["bun", "server/main.ts", "server"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `ad_test:durability:${Bun.randomUUIDv7()}:`,
      SECRET_KEY: "durability-test-secret-key-of-enough-length",
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function readiness(port: number) {
  await waitForHttp(`http://127.0.0.1:${port}/api/v1/health/ready`, 30_000);
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

async function stopAndReadLogs(proc: ReturnType<typeof startServer>) {
  proc.kill("SIGTERM");
  await proc.exited;
  return `${await new Response(proc.stdout).text()}${await new Response(proc.stderr).text()}`;
}

describe("the Redis durability check at start", () => {
  it("warns loudly and stays ready when Redis runs without AOF", async () => {
    const redis = await privateRedis([]);
    const port = await freePort();
    const proc = startServer(redis, port);
    try {
      const ready = await readiness(port);
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe("ok");
      expect(ready.body.checks.redis_durability).toBe("unsafe: appendonly=no");
    } finally {
      const logs = await stopAndReadLogs(proc);
      const warning = logs.split("\n").find((line) => line.includes("REDIS IS NOT DURABLE"));
      expect(warning).toBeDefined();
      expect(JSON.parse(warning!)).toMatchObject({ level: "warn", redisDurability: "unsafe: appendonly=no" });
    }
  }, 40_000);

  it("refuses to start with REQUIRE_DURABLE_REDIS=true when Redis runs without AOF", async () => {
    const redis = await privateRedis([]);
    const proc = startServer(redis, await freePort(), { REQUIRE_DURABLE_REDIS: "true" });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain(
      "REQUIRE_DURABLE_REDIS=true and Redis durability is unsafe: appendonly=no",
    );
  }, 40_000);

  it("refuses to start with REQUIRE_DURABLE_REDIS=true when CONFIG is not allowed", async () => {
    const redis = await privateRedis([...AOF, "--rename-command", "CONFIG", ""]);
    const proc = startServer(redis, await freePort(), { REQUIRE_DURABLE_REDIS: "true" });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain("durability is unknown: CONFIG not allowed");
  }, 40_000);

  it("starts with REQUIRE_DURABLE_REDIS=true when Redis keeps what it acknowledged", async () => {
    const redis = await privateRedis(AOF);
    const port = await freePort();
    const proc = startServer(redis, port, { REQUIRE_DURABLE_REDIS: "true" });
    try {
      const ready = await readiness(port);
      expect(ready.status).toBe(200);
      expect(ready.body.checks.redis_durability).toBe("ok");
    } finally {
      const logs = await stopAndReadLogs(proc);
      expect(logs).not.toContain("REDIS IS NOT DURABLE");
    }
  }, 40_000);
});
