/**
 * The process's long-lived dependencies, built once at boot and passed down (never imported as globals), so tests
 * can build their own against a private database and key prefix. With REDIS_URL the key store and pub/sub are
 * Redis; without it they live in process (on PGlite the login keys also persist in the data folder). With
 * DATABASE_URL the database is PostgreSQL; without it, PGlite.
 */
import type { Redis } from "ioredis";
import { readBackfillProgress } from "./analytics/engine/backfill.ts";
import { QueryEngine } from "./analytics/engine/query-engine.ts";
import { type Database, type DatabaseHandle, openDatabase } from "./db/client.ts";
import { migrateDatabase } from "./db/migrate.ts";
import type { Config } from "./env.ts";
import { CountryLookup } from "./http/ingest/country-lookup.ts";
import { type KeyStore, MemoryKeyStore, RedisKeyStore } from "./infra/key-store.ts";
import { PersistentKeyStore } from "./infra/persistent-key-store.ts";
import { MemoryPubSub, type PubSub, RedisPubSub } from "./infra/pub-sub.ts";
import { connectRedis } from "./infra/redis.ts";
import { checkRedisDurability, durabilityAdvice } from "./infra/redis-durability.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics/metrics.ts";
import {
  MemoryStoredEventsCounter,
  RedisStoredEventsCounter,
  type StoredEventsCounter,
  SUPPRESSED_EVENTS_KEY,
} from "./metrics/stored-events-counter.ts";
import type { EventStream } from "./pipeline/stream/event-stream.ts";
import { MemoryEventStream } from "./pipeline/stream/memory-event-stream.ts";
import { RedisEventStream } from "./pipeline/stream/redis-event-stream.ts";
import { resolveSecretKey } from "./secret-key.ts";

export interface Services {
  config: Config;
  /** SECRET_KEY, or the generated one kept in the data folder. */
  secretKey: string;
  logger: Logger;
  database: DatabaseHandle;
  db: Database;
  kv: KeyStore;
  pubsub: PubSub;
  /** The ingest queue: a Redis Stream, or in process in embedded mode. */
  stream: EventStream;
  /** The shared command connection when REDIS_URL is set. */
  redis: Redis | null;
  /** Prometheus metrics of this process and the pipeline (`metrics.queryTimeouts.inc()` from anywhere). */
  metrics: Metrics;
  /** The query engine over the event segments, with its column cache (server/analytics/engine). */
  engine: QueryEngine;
  /** The client IP's country at ingest (GEOIP_DATABASE or the shipped database), read once per process. */
  countries: CountryLookup;
  close(): Promise<void>;
}

export interface CreateServicesOptions {
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  logger?: Logger;
  /**
   * Check at start that Redis keeps what it acknowledged (default true): a loud warning when not, a refusal with
   * REQUIRE_DURABLE_REDIS. Off for commands that do not use Redis (migrate).
   */
  checkRedisDurability?: boolean;
}

/** Opens every dependency the configuration asks for. */
export async function createServices(config: Config, options: CreateServicesOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const secretKey = await resolveSecretKey(config.SECRET_KEY, config.DATA_DIR);
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DB_POOL_SIZE,
  });
  const closers: Array<() => Promise<unknown> | unknown> = [() => database.close()];
  try {
    if (options.migrate ?? true) await migrateDatabase(database);

    let redis: Redis | null = null;
    let kv: KeyStore;
    let pubsub: PubSub;
    let stream: EventStream;
    let storedEvents: StoredEventsCounter;
    let suppressedEvents: StoredEventsCounter;
    if (config.REDIS_URL) {
      const redisUrl = config.REDIS_URL;
      // Fails at once while Redis is away instead of queueing: token checks then refuse (fail closed) in
      // milliseconds rather than after a reconnect timeout, and rate limits let calls through.
      redis = connectRedis(redisUrl, { enableOfflineQueue: false });
      const subscriber = connectRedis(redisUrl, { commandTimeout: undefined });
      // The stream's own connection fails at once while Redis is away (ingest then writes to PostgreSQL instead of
      // waiting), and auto-pipelines: the XADDs of concurrent requests go out in one write per tick.
      const streamRedis = connectRedis(redisUrl, { enableOfflineQueue: false, enableAutoPipelining: true });
      const redisStream = new RedisEventStream({
        redis: streamRedis,
        prefix: config.REDIS_KEY_PREFIX,
        connectBlocking: () => connectRedis(redisUrl, { commandTimeout: undefined }),
      });
      stream = redisStream;
      closers.unshift(
        () => redis?.disconnect(),
        () => subscriber.disconnect(),
        () => redisStream.close(),
        () => streamRedis.disconnect(),
      );
      kv = new RedisKeyStore(redis, config.REDIS_KEY_PREFIX);
      pubsub = new RedisPubSub(redis, subscriber, config.REDIS_KEY_PREFIX);
      storedEvents = new RedisStoredEventsCounter(redis, config.REDIS_KEY_PREFIX);
      suppressedEvents = new RedisStoredEventsCounter(redis, config.REDIS_KEY_PREFIX, SUPPRESSED_EVENTS_KEY);
      await Promise.all([waitUntilReady(streamRedis, 2_000), waitUntilReady(redis, 2_000)]);
      if (options.checkRedisDurability ?? true) await enforceRedisDurability(redis, config, logger);
    } else {
      // On PGlite one process owns the data folder, so login state can persist there (persistent-key-store.ts);
      // PostgreSQL without Redis may have several processes, each with its own keys in memory.
      kv = database.kind === "pglite" ? await PersistentKeyStore.open(database.db) : new MemoryKeyStore();
      pubsub = new MemoryPubSub();
      const memoryStream = new MemoryEventStream();
      stream = memoryStream;
      storedEvents = new MemoryStoredEventsCounter();
      suppressedEvents = new MemoryStoredEventsCounter();
      closers.unshift(() => memoryStream.close());
    }

    return {
      config,
      secretKey,
      logger,
      database,
      db: database.db,
      kv,
      pubsub,
      stream,
      redis,
      metrics: createMetrics({
        stream,
        storedEvents,
        suppressedEvents,
        engineBackfill: () => readBackfillProgress(database.db),
      }),
      engine: new QueryEngine({ cacheBytes: config.ANALYTICS_ENGINE_CACHE_MB * 1024 * 1024 }),
      countries: CountryLookup.open(config.GEOIP_DATABASE || undefined),
      close: async () => {
        for (const close of closers) {
          try {
            await close();
          } catch (error) {
            logger.warn("error while closing a service", { error });
          }
        }
      },
    };
  } catch (error) {
    // Everything opened so far (Redis connections included, e.g. when the durability check refuses to start).
    for (const close of closers) {
      await Promise.resolve()
        .then(close)
        .catch((closeError) => logger.warn("error while closing a service", { error: closeError }));
    }
    throw error;
  }
}

/** See server/infra/redis-durability.ts for the rule. Refuses (throws) with REQUIRE_DURABLE_REDIS, warns otherwise. */
async function enforceRedisDurability(redis: Redis, config: Config, logger: Logger): Promise<void> {
  const durability = await checkRedisDurability(redis);
  if (durability.state === "durable") {
    logger.info("Redis durability: ok (appendonly yes, appendfsync everysec or always, maxmemory-policy noeviction)");
    return;
  }
  const advice = durabilityAdvice(durability);
  if (config.REQUIRE_DURABLE_REDIS) {
    throw new Error(`REQUIRE_DURABLE_REDIS=true and Redis durability is ${durability.summary}. ${advice}`);
  }
  logger.warn(
    `REDIS IS NOT DURABLE (${durability.summary}): ${advice} Set REQUIRE_DURABLE_REDIS=true to refuse to start instead.`,
    {
      redisDurability: durability.summary,
    },
  );
}

/** Gives a fresh connection a moment to come up, so the first requests do not see it "not ready"; a Redis that is
 * down at boot is not an error here (ingest falls back to PostgreSQL until it returns). */
async function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    }
    redis.once("ready", done);
  });
}
