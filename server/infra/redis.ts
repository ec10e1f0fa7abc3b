import { Redis, type RedisOptions } from "ioredis";

/**
 * A Redis connection that fails fast instead of queueing commands while Redis is away: callers decide what
 * "Redis is down" means (token checks fail closed, ingest falls back to PostgreSQL). Reconnects with capped backoff.
 */
export function connectRedis(url: string, overrides: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
    ...overrides,
  });
  // Without a listener ioredis prints every connection error; readiness checks and callers report outages instead.
  redis.on("error", () => {});
  return redis;
}
