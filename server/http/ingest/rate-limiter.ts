/**
 * Per-project ingest limit: INGEST_RATE_LIMIT_PER_MINUTE events per fixed one-minute window, shared by every API
 * process through Redis. A Redis round trip per request would halve ingest throughput, so each process counts
 * locally and adds its count to the shared window at most every `flushMs` (INCRBY), learning the others' total in the same
 * reply. The limit can therefore be overshot by what the processes accept within one flush interval; it protects
 * capacity, not billing. Without Redis (embedded mode: one process) the local count is the whole count. When Redis
 * is unreachable the local count still applies.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../../logger.ts";

const WINDOW_MS = 60_000;

interface WindowState {
  window: number;
  /** The shared total as last reported by Redis (our flushed counts included). */
  shared: number;
  /** Counted here and not yet added to the shared total. */
  unflushed: number;
}

export interface IngestRateLimiterOptions {
  limitPerMinute: number;
  redis: Redis | null;
  prefix?: string;
  logger: Logger;
  flushMs?: number;
}

export class IngestRateLimiter {
  private readonly states = new Map<string, WindowState>();
  private flushing = false;
  private redisFailing = false;
  private lastFlush = 0;

  constructor(private readonly options: IngestRateLimiterOptions) {}

  /** Counts `events` for the project; returns 0 when allowed, otherwise the seconds until the window resets. */
  take(projectId: string, events: number, now = Date.now()): number {
    const window = Math.floor(now / WINDOW_MS);
    let state = this.states.get(projectId);
    if (!state || state.window !== window) {
      state = { window, shared: 0, unflushed: 0 };
      this.states.set(projectId, state);
    }
    if (state.shared + state.unflushed + events > this.options.limitPerMinute) {
      return Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    }
    state.unflushed += events;
    // Shared in the background of requests: no timer to stop, and an idle process has nothing to share.
    if (this.options.redis && !this.flushing && now - this.lastFlush >= (this.options.flushMs ?? 250)) {
      this.lastFlush = now;
      void this.flush();
    }
    return 0;
  }

  /** Adds local counts to the shared windows and reads back their totals. */
  async flush(): Promise<void> {
    const redis = this.options.redis;
    if (!redis || this.flushing) return;
    this.flushing = true;
    const current = Math.floor(Date.now() / WINDOW_MS);
    const batch: Array<{ state: WindowState; amount: number }> = [];
    const pipeline = redis.pipeline();
    for (const [projectId, state] of this.states) {
      if (state.window < current) {
        this.states.delete(projectId);
        continue;
      }
      if (state.unflushed === 0) continue;
      const key = `${this.options.prefix ?? ""}ratelimit:ingest:${projectId}:${state.window}`;
      pipeline.incrby(key, state.unflushed).pexpire(key, WINDOW_MS * 2);
      batch.push({ state, amount: state.unflushed });
      state.unflushed = 0;
    }
    try {
      if (batch.length === 0) return;
      const results = await pipeline.exec();
      batch.forEach(({ state }, i) => {
        const [error, total] = results?.[i * 2] ?? [new Error("no reply")];
        if (!error && typeof total === "number") state.shared = total;
      });
      if (this.redisFailing) this.options.logger.info("ingest rate limit counts are shared again");
      this.redisFailing = false;
    } catch (error) {
      // Put the counts back so they are neither lost for this process nor double-counted later.
      for (const { state, amount } of batch) {
        state.unflushed += amount;
      }
      if (!this.redisFailing)
        this.options.logger.warn("cannot share ingest rate limit counts; counting locally", { error });
      this.redisFailing = true;
    } finally {
      this.flushing = false;
    }
  }
}
