/**
 * Test fixtures against the real PostgreSQL and Redis of the machine. Each call makes its own database
 * (`ad_test_<random>`, dropped afterwards) and its own Redis key prefix (its keys deleted afterwards); nothing shared
 * is ever flushed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import postgres from "postgres";
import { type Config, parseConfig } from "../env.ts";
import { type RunningServer, startHttpServer } from "../http/serve.ts";
import { createLogger } from "../logger.ts";
import { createServices, type Services } from "../services.ts";
import { loadTestServiceUrls } from "./test-environment.ts";

const randomSuffix = () => Bun.randomUUIDv7().replaceAll("-", "").slice(-16);

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty, uniquely named database on the shared server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { postgres: adminUrl } = loadTestServiceUrls();
  const name = `ad_test_${randomSuffix()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const conn = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await conn.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await conn.end();
      }
    },
  };
}

/** Deletes every key under a prefix (SCAN, never FLUSH). */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  if (!prefix) throw new Error("refusing to delete an empty prefix");
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export interface TestServices {
  services: Services;
  config: Config;
  database: TestDatabase;
  redisPrefix: string;
  /** Closes the services, drops the database, deletes the Redis keys. */
  cleanup(): Promise<void>;
}

/** Services on a fresh database and key prefix of the shared PostgreSQL and Redis (or a given Redis URL). */
export async function createTestServices(
  env: Record<string, string | undefined> = {},
  options: { redis?: boolean } = {},
): Promise<TestServices> {
  const urls = loadTestServiceUrls();
  const database = await createTestDatabase();
  const redisPrefix = `ad_test:${randomSuffix()}:`;
  const dataDir = await mkdtemp(path.join(tmpdir(), "ad-test-"));
  const config = parseConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    REDIS_URL: options.redis === false ? undefined : urls.redis,
    REDIS_KEY_PREFIX: redisPrefix,
    SECRET_KEY: `test-secret-${randomSuffix()}-${randomSuffix()}`,
    DATA_DIR: dataDir,
    COOKIE_SECURE: "false",
    LOG_LEVEL: "silent",
    DB_POOL_SIZE: "5",
    ...env,
  });
  let services: Services;
  try {
    services = await createServices(config, { logger: createLogger(config.LOG_LEVEL) });
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    services,
    config,
    database,
    redisPrefix,
    cleanup: async () => {
      await services.close();
      await database.drop();
      if (config.REDIS_URL) await deleteRedisPrefix(config.REDIS_URL, redisPrefix).catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A real HTTP server on a free port for the given services. */
export function startTestServer(services: Services): RunningServer {
  return startHttpServer(services, { port: 0, hostname: "127.0.0.1" });
}
