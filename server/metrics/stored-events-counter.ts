/**
 * How many events each worker has stored, for `analytics_worker_events_stored_total` (its rate is the pipeline's
 * events/s). In production the workers are other processes than the API that serves /api/v1/metrics, so each worker
 * adds to its own field of one Redis hash (HINCRBY per committed transaction, keyed by its restart-stable consumer
 * name, so the number of fields stays bounded) and the API reads the hash. In embedded mode the worker runs in the
 * API's process and the counts stay in memory.
 *
 * The counts are counters in Prometheus' sense: they only grow, and a reset (Redis lost the hash, or an embedded
 * restart) is what `rate()` already expects.
 */
import type { Redis } from "ioredis";

export const STORED_EVENTS_KEY = "metrics:worker_events_stored";
/** The same kind of counter for events dropped because they name a deleted person (server/pipeline/people/suppression.ts). */
export const SUPPRESSED_EVENTS_KEY = "metrics:events_suppressed";

export interface StoredEventsCounter {
  /** Adds `count` events stored (newly inserted, duplicates not counted) by `consumer`. */
  add(consumer: string, count: number): Promise<void>;
  /** Every consumer's total so far. */
  read(): Promise<Map<string, number>>;
}

export class RedisStoredEventsCounter implements StoredEventsCounter {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix = "",
    key = STORED_EVENTS_KEY,
  ) {
    this.key = prefix + key;
  }

  async add(consumer: string, count: number) {
    if (count > 0) await this.redis.hincrby(this.key, consumer, count);
  }

  async read() {
    const fields = await this.redis.hgetall(this.key);
    return new Map(Object.entries(fields).map(([consumer, value]) => [consumer, Number(value)]));
  }
}

export class MemoryStoredEventsCounter implements StoredEventsCounter {
  private readonly counts = new Map<string, number>();

  async add(consumer: string, count: number) {
    if (count > 0) this.counts.set(consumer, (this.counts.get(consumer) ?? 0) + count);
  }

  async read() {
    return new Map(this.counts);
  }
}
