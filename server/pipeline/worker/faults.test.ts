import { describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { Redis } from "ioredis";
import postgres from "postgres";
import type { Database } from "../../db/client.ts";
import { parseConfig } from "../../env.ts";
import { createApp } from "../../http/app.ts";
import { createLogger } from "../../logger.ts";
import { createServices, type Services } from "../../services.ts";
import {
  countEvents,
  createTestProject,
  makeEvents,
  sumRollupCounts,
  waitFor,
} from "../../test-support/ingest-fixtures.ts";
import { startPrivateRedis } from "../../test-support/private-redis.ts";
import { createTestDatabase, deleteRedisPrefix } from "../../test-support/services.ts";
import { startTcpProxy } from "../../test-support/tcp-proxy.ts";
import { startWorkerLoop } from "./worker-loop.ts";

/** Services on their own database, reached through `databaseUrl` (a proxy) when given, and the given Redis. */
async function servicesFor(options: { redisUrl: string; databaseUrl?: (name: string) => string }) {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), "ad-faults-"));
  const prefix = `ad_test:faults:${Bun.randomUUIDv7()}:`;
  const config = parseConfig({
    NODE_ENV: "test",
    DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.name) : database.url,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    SECRET_KEY: `faults-secret-${Bun.randomUUIDv7()}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    DB_POOL_SIZE: "4",
  });
  const services = await createServices(config, {
    logger: createLogger(process.env.FAULTS_LOG === "1" ? "debug" : "silent"),
  });
  return {
    services,
    cleanup: async () => {
      await services.close();
      await database.drop();
      await deleteRedisPrefix(options.redisUrl, prefix).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function ingest(services: Services) {
  const app = createApp(services);
  return (apiKey: string, events: unknown[]) =>
    app.request("/api/v1/events/ingest", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ events }),
    });
}

function runWorker(services: Services) {
  return startWorkerLoop(
    { db: services.db, stream: services.stream, pubsub: services.pubsub, logger: services.logger },
    { consumer: "faults", batchSize: 50, blockMs: 200 },
  );
}

describe("the pipeline under faults", () => {
  it("answers 202 and stores events directly while Redis is stopped, then uses the stream again", async () => {
    const redis = await startPrivateRedis();
    const { services, cleanup } = await servicesFor({ redisUrl: redis.url });
    const worker = runWorker(services);
    try {
      const send = ingest(services);
      const project = await createTestProject(services.db);
      expect((await send(project.apiKey, makeEvents(10, "before"))).status).toBe(202);
      expect(await waitFor(async () => (await countEvents(services.db, project.projectId)) === 10)).toBe(true);

      await redis.stop();
      for (let i = 0; i < 5; i++) {
        const res = await send(project.apiKey, makeEvents(10, `during-${i}`));
        expect(res.status).toBe(202);
      }
      // Stored by the direct path: no worker needed, nothing waits in a stream.
      expect(await countEvents(services.db, project.projectId)).toBe(60);

      await redis.start();
      expect(
        await waitFor(
          async () =>
            (await send(project.apiKey, makeEvents(10, "after"))).status === 202 &&
            (await services.stream.backlog()).length > 0,
          10_000,
        ),
      ).toBe(true);
      expect(await waitFor(async () => (await countEvents(services.db, project.projectId)) >= 70, 15_000)).toBe(true);
      expect(await sumRollupCounts(services.db, project.projectId)).toBe(
        await countEvents(services.db, project.projectId),
      );
    } finally {
      await worker.stop();
      await cleanup();
      await redis.stop();
    }
  }, 40_000);

  it("writes to PostgreSQL directly when Redis refuses writes for lack of memory", async () => {
    const redis = await startPrivateRedis(["--maxmemory", "3mb", "--maxmemory-policy", "noeviction"]);
    const { services, cleanup } = await servicesFor({ redisUrl: redis.url });
    const filler = new Redis(redis.url);
    filler.on("error", () => undefined);
    try {
      const send = ingest(services);
      const project = await createTestProject(services.db);
      const chunk = "x".repeat(64 * 1024);
      let full = false;
      for (let i = 0; i < 200 && !full; i++) {
        full = await filler.set(`filler:${i}`, chunk).then(
          () => false,
          (error: Error) => error.message.includes("OOM"),
        );
      }
      expect(full).toBe(true);
      const res = await send(project.apiKey, makeEvents(20));
      expect(res.status).toBe(202);
      expect(await countEvents(services.db, project.projectId)).toBe(20);
    } finally {
      filler.disconnect();
      await cleanup();
      await redis.stop();
    }
  }, 20_000);

  it("keeps answering 202 from Redis while PostgreSQL is away, and drains the backlog when it returns", async () => {
    const redis = await startPrivateRedis();
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    let directUrl = "";
    const { services, cleanup } = await servicesFor({
      redisUrl: redis.url,
      databaseUrl: (name) => {
        directUrl = `postgres://postgres@127.0.0.1:5432/${name}`;
        return `postgres://postgres@127.0.0.1:${proxy.port}/${name}`;
      },
    });
    const worker = runWorker(services);
    try {
      const send = ingest(services);
      const project = await createTestProject(services.db);
      expect((await send(project.apiKey, makeEvents(10, "warm"))).status).toBe(202);
      expect(await waitFor(async () => (await countEvents(services.db, project.projectId)) === 10)).toBe(true);

      await proxy.stop();
      // Longer than the API key cache's freshness (4 s): ingest must keep working from the last known project.
      const outageEnds = Date.now() + 5_000;
      let sent = 0;
      while (Date.now() < outageEnds) {
        const res = await send(project.apiKey, makeEvents(10, `outage-${sent}`));
        expect(res.status).toBe(202);
        sent++;
        await Bun.sleep(250);
      }
      expect((await services.stream.backlog()).lag + (await services.stream.backlog()).pending).toBeGreaterThan(0);

      await proxy.start();
      const expected = 10 + sent * 10;
      // Counted on a connection of our own, straight to PostgreSQL: a pool connection opened through the proxy
      // during the outage can sit in its connect timeout (30 s), which says nothing about the worker.
      const observer = drizzle(postgres(directUrl, { max: 1, onnotice: () => {} }), {
        casing: "snake_case",
      }) as unknown as Database;
      try {
        expect(await waitFor(async () => (await countEvents(observer, project.projectId)) === expected, 20_000)).toBe(
          true,
        );
        expect(await sumRollupCounts(observer, project.projectId)).toBe(expected);
      } finally {
        await (observer as unknown as { $client: postgres.Sql }).$client.end();
      }
      expect(await waitFor(async () => (await services.stream.backlog()).pending === 0)).toBe(true);
    } finally {
      await worker.stop();
      await proxy.start();
      await cleanup();
      await proxy.close();
      await redis.stop();
    }
  }, 60_000);

  it("answers 503 with Retry-After only when neither Redis nor PostgreSQL can take events", async () => {
    const redis = await startPrivateRedis();
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    const { services, cleanup } = await servicesFor({
      redisUrl: redis.url,
      databaseUrl: (name) => `postgres://postgres@127.0.0.1:${proxy.port}/${name}`,
    });
    try {
      const send = ingest(services);
      const project = await createTestProject(services.db);
      expect((await send(project.apiKey, makeEvents(1))).status).toBe(202);
      await redis.stop();
      await proxy.stop();
      const res = await send(project.apiKey, makeEvents(1));
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await proxy.start();
      await redis.start();
      await cleanup();
      await proxy.close();
      await redis.stop();
    }
  }, 30_000);
});
