/**
 * The process's long-lived dependencies, built once at boot and passed down (never imported as globals), so tests
 * can build their own against a private database and key prefix. With REDIS_URL the key store and pub/sub are
 * Redis; without it they live in process. With DATABASE_URL the database is PostgreSQL; without it, PGlite.
 */
import type { Redis } from "ioredis";
import { openDatabase, type Database, type DatabaseHandle } from "./db/client.ts";
import { migrateDatabase } from "./db/migrate.ts";
import type { Config } from "./env.ts";
import { MemoryKeyStore, RedisKeyStore, type KeyStore } from "./infra/key-store.ts";
import { MemoryPubSub, RedisPubSub, type PubSub } from "./infra/pub-sub.ts";
import { connectRedis } from "./infra/redis.ts";
import { createLogger, type Logger } from "./logger.ts";
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
  /** The shared command connection when REDIS_URL is set. */
  redis: Redis | null;
  close(): Promise<void>;
}

export interface CreateServicesOptions {
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  logger?: Logger;
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
    if (config.REDIS_URL) {
      redis = connectRedis(config.REDIS_URL);
      const subscriber = connectRedis(config.REDIS_URL, { commandTimeout: undefined });
      closers.unshift(() => redis?.disconnect(), () => subscriber.disconnect());
      kv = new RedisKeyStore(redis, config.REDIS_KEY_PREFIX);
      pubsub = new RedisPubSub(redis, subscriber, config.REDIS_KEY_PREFIX);
    } else {
      kv = new MemoryKeyStore();
      pubsub = new MemoryPubSub();
    }

    return {
      config,
      secretKey,
      logger,
      database,
      db: database.db,
      kv,
      pubsub,
      redis,
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
    await database.close();
    throw error;
  }
}
