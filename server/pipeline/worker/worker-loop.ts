/**
 * The worker loop around `processEntries`: consumer group `event_workers`, this worker's own pending entries first
 * (what it held when it last stopped), then new entries (up to WORKER_BATCH_SIZE, blocking 2 s), and every few
 * seconds the entries other consumers left idle for more than 30 s (XAUTOCLAIM, following the cursor to its end).
 * Several workers can run at once: the group hands each entry to one of them, and the insert's dedupe covers the
 * rare redelivery.
 *
 * Failures never spin: Redis or PostgreSQL errors wait with capped exponential backoff (100 ms doubling to 5 s). A
 * batch whose database is away is kept in hand and retried, unacknowledged, until it is stored or the worker stops.
 * `stop()` lets the batch in hand finish (or, while PostgreSQL is down, leaves it pending for the next start) and
 * resolves within the shutdown budget.
 */
import type { Database } from "../../db/client.ts";
import type { PubSub } from "../../infra/pub-sub.ts";
import type { Logger } from "../../logger.ts";
import type { StoredEventsCounter } from "../../metrics/stored-events-counter.ts";
import type { EventStream, StreamEntry } from "../stream/event-stream.ts";
import { Backoff, Sleeper } from "./backoff.ts";
import { type BatchOutcome, DatabaseUnavailable, processEntries } from "./process-entries.ts";
import { MAX_TRANSACTION_BYTES, transactionsOf } from "./transactions-of.ts";

export interface WorkerOptions {
  consumer: string;
  batchSize: number;
  blockMs?: number;
  /** Entries idle longer than this belong to a dead consumer. Longer than the slowest batch, or two workers race. */
  claimIdleMs?: number;
  claimEveryMs?: number;
  maxDeliveries?: number;
  /**
   * Transactions in flight at once (default 2; boot uses 3). Measured on 2 cores draining 40,000 events: 1 -> 9.2k,
   * 2 -> 13k, 4 -> 16k events/s, but 4 also peaked near 240 MB RSS; PostgreSQL works on several transactions while
   * this process prepares the next.
   */
  concurrency?: number;
  /** Stop waiting for new entries when the stream is empty (embedded shutdown drains the in-process stream). */
  drainOnStop?: boolean;
}

export interface WorkerDeps {
  db: Database;
  stream: EventStream;
  pubsub: PubSub;
  logger: Logger;
  /** Where this worker adds what it stored, for analytics_worker_events_stored_total (boot passes the services'). */
  storedEvents?: StoredEventsCounter;
  /** Where it adds the events it dropped as a deleted person's (analytics_events_suppressed_total). */
  suppressedEvents?: StoredEventsCounter;
}

export interface WorkerStats {
  batches: number;
  entries: number;
  inserted: number;
  duplicates: number;
  /** Bot events dropped (projects.bot_filtering), each counted once. */
  botsFiltered: number;
  deadLettered: number;
  /** Entries waiting in the stream for any worker (undelivered), as last measured. */
  lag: number;
  /** Entries delivered and not yet acknowledged, as last measured. */
  pending: number;
}

export interface RunningWorker {
  stats: WorkerStats;
  /** Resolves when the loop has exited. */
  done: Promise<void>;
  stop(): Promise<void>;
}

const GC_ABOVE_RSS_BYTES = 150 * 1024 * 1024;

/** Starts the loop (boot.ts's `bootWorker` wraps it with a consumer name and process wiring). */
export function startWorkerLoop(deps: WorkerDeps, options: WorkerOptions): RunningWorker {
  const loop = new WorkerLoop(deps, options);
  deps.logger.info("worker started", { consumer: options.consumer, batchSize: options.batchSize });
  const done = loop.run().catch((error) => {
    deps.logger.error("the worker loop stopped on an unexpected error", { error });
    throw error;
  });
  return {
    stats: loop.stats,
    done,
    stop: async () => {
      loop.requestStop();
      await done;
      deps.logger.info("worker stopped", { consumer: options.consumer, ...loop.stats });
    },
  };
}

/** The loop's state and its parts: reading, dispatching, storing and acknowledging, recovery, measuring. */
class WorkerLoop {
  readonly stats: WorkerStats = {
    batches: 0,
    entries: 0,
    inserted: 0,
    duplicates: 0,
    botsFiltered: 0,
    deadLettered: 0,
    lag: 0,
    pending: 0,
  };
  private readonly stream: EventStream;
  private readonly logger: Logger;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private readonly claimEveryMs: number;
  private readonly concurrency: number;
  private stopping = false;
  private readonly backoff = new Backoff();
  private readonly sleeper = new Sleeper();
  private lastMeasured = 0;
  private ackedSinceTrim = 0;
  /** Average entry size seen so far (moving), for `readCount`. */
  private averageEntryBytes = 0;
  /** Transactions in flight; the loop reads again as soon as one of them is done, not when all are. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions,
  ) {
    this.stream = deps.stream;
    this.logger = deps.logger;
    this.blockMs = options.blockMs ?? 2_000;
    this.claimIdleMs = options.claimIdleMs ?? 30_000;
    this.claimEveryMs = options.claimEveryMs ?? 5_000;
    this.concurrency = options.concurrency ?? 2;
  }

  /** Ends the loop: wakes its sleeps and a blocked read; the transactions in flight finish (see the header). */
  requestStop() {
    this.stopping = true;
    this.sleeper.wakeAll();
    this.stream.interruptReads();
  }

  async run() {
    const { stream, options, logger } = this;
    await this.retrying("creating the consumer group", () => stream.ensureGroup());
    await this.drainOwnPending();
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - lastClaim >= this.claimEveryMs) {
          lastClaim = Date.now();
          await this.claimIdle();
        }
        await this.waitForFreeSlot();
        const entries = await stream.readNew(options.consumer, this.readCount(), this.blockMs);
        if (entries.length) {
          this.noteEntrySizes(entries);
          await this.dispatch(entries);
        } else {
          await this.measure();
        }
        this.backoff.reset();
      } catch (error) {
        if (this.stopping) break;
        if (error instanceof Error && error.message.includes("NOGROUP")) {
          // Redis lost the stream (restarted without persistence, or flushed): make the group again, from 0 so
          // whatever ingest appended since is read too.
          logger.warn("the consumer group is gone; creating it again", { error: error.message });
          await this.retrying("creating the consumer group", () => stream.ensureGroup());
          continue;
        }
        logger.warn("reading the stream failed; retrying with backoff", { error });
        await this.sleeper.sleep(this.backoff.next());
      }
    }
    if (options.drainOnStop) await this.drainOnStop();
    await Promise.all(this.inFlight);
    await this.measure(true);
  }

  /** In-process stream: what is still queued exists nowhere else, so store it before leaving. */
  private async drainOnStop() {
    this.stopping = false;
    for (;;) {
      const entries = await this.stream.readNew(this.options.consumer, this.options.batchSize, 0);
      if (entries.length === 0) break;
      await this.handle(entries);
    }
    this.stopping = true;
  }

  private async retrying<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    let failing = false;
    while (!this.stopping) {
      try {
        const result = await action();
        if (failing) this.logger.info(`${what}: working again`);
        this.backoff.reset();
        return result;
      } catch (error) {
        if (!failing) this.logger.warn(`${what} failed; retrying with backoff`, { error });
        failing = true;
        await this.sleeper.sleep(this.backoff.next());
      }
    }
    return undefined;
  }

  // --- Reading ---------------------------------------------------------------------------------------------------

  private noteEntrySizes(entries: StreamEntry[]) {
    let total = 0;
    for (const entry of entries) total += entry.payload.length;
    const average = total / entries.length;
    this.averageEntryBytes = this.averageEntryBytes === 0 ? average : this.averageEntryBytes * 0.8 + average * 0.2;
  }

  /**
   * How many entries to read: WORKER_BATCH_SIZE, but no more than the free transaction slots can take at the
   * average entry size seen so far. 200 entries of 100-event requests are 6 MB of text that would otherwise wait in
   * memory for a slot.
   */
  private readCount(): number {
    if (this.averageEntryBytes === 0) return this.options.batchSize;
    const fits = Math.floor(((this.concurrency - this.inFlight.size) * MAX_TRANSACTION_BYTES) / this.averageEntryBytes);
    return Math.max(1, Math.min(this.options.batchSize, fits));
  }

  // --- Dispatching -----------------------------------------------------------------------------------------------

  private async waitForFreeSlot() {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
  }

  /**
   * Starts storing what was read: split into transactions of at most MAX_TRANSACTION_BYTES of entries (bounded
   * memory and lock time whatever WORKER_BATCH_SIZE is), up to `concurrency` in flight so PostgreSQL can use more
   * than one core and a new read never waits for the slowest transaction of the last one (live-feed latency). Each
   * transaction acknowledges its own entries after its own COMMIT. Resolves once every chunk has a slot.
   */
  private async dispatch(entries: StreamEntry[]): Promise<void> {
    for (const chunk of transactionsOf(entries)) {
      await this.waitForFreeSlot();
      const running: Promise<void> = this.storeTransaction(chunk).finally(() => {
        this.inFlight.delete(running);
        collectGarbageIfLarge();
      });
      this.inFlight.add(running);
    }
  }

  /** Stores what was read and waits until all of it is done (recovery paths, where order of work matters more). */
  private async handle(entries: StreamEntry[]): Promise<void> {
    await this.dispatch(entries);
    await Promise.all(this.inFlight);
  }

  // --- Storing and acknowledging ---------------------------------------------------------------------------------

  /** Stores one transaction's entries (processEntries acks them), retrying while PostgreSQL is away, unless stopping. */
  private async storeTransaction(entries: StreamEntry[]): Promise<void> {
    const { logger } = this;
    let databaseDown = false;
    while (true) {
      const started = performance.now();
      let outcome: BatchOutcome;
      try {
        outcome = await processEntries({ ...this.deps, maxDeliveries: this.options.maxDeliveries }, entries);
      } catch (error) {
        if (error instanceof DatabaseUnavailable) {
          if (!databaseDown)
            logger.warn("PostgreSQL is unavailable; keeping the batch and retrying", { error: error.cause });
          databaseDown = true;
          if (this.stopping) {
            logger.info("stopping with an unstored batch; it stays pending for the next start", {
              entries: entries.length,
            });
            return;
          }
          await this.sleeper.sleep(this.backoff.next());
          continue;
        }
        // Stored but not acknowledged (Redis went away after the COMMIT): the entries come back and re-insert nothing.
        logger.warn("a batch failed after or outside storage; its entries will be delivered again", { error });
        await this.sleeper.sleep(this.backoff.next());
        return;
      }
      if (databaseDown) logger.info("PostgreSQL is back; the batch is stored");
      this.backoff.reset();
      this.count(outcome);
      await this.measure();
      logger.info("batch stored", {
        entries: outcome.entries,
        events: outcome.events,
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
        botsFiltered: outcome.botsFiltered,
        failed: outcome.failedEvents,
        deadLettered: outcome.deadLettered,
        ms: Math.round(performance.now() - started),
        lag: this.stats.lag,
        pending: this.stats.pending,
        rssMb: Math.round(process.memoryUsage.rss() / 1_048_576),
      });
      return;
    }
  }

  // --- Metrics ---------------------------------------------------------------------------------------------------

  private count(outcome: BatchOutcome) {
    const { stats } = this;
    stats.batches++;
    stats.entries += outcome.entries;
    stats.inserted += outcome.inserted;
    stats.duplicates += outcome.duplicates;
    stats.botsFiltered += outcome.botsFiltered;
    stats.deadLettered += outcome.deadLettered;
    this.ackedSinceTrim += outcome.acked;
    // Counted after the COMMIT, not awaited: a metrics write must never hold back or fail the pipeline.
    this.deps.storedEvents?.add(this.options.consumer, outcome.inserted).catch((error) => {
      this.logger.warn("cannot add to the stored-events counter", { error });
    });
    if (outcome.suppressed > 0)
      this.deps.suppressedEvents?.add(this.options.consumer, outcome.suppressed).catch((error) => {
        this.logger.warn("cannot add to the suppressed-events counter", { error });
      });
  }

  /** Refreshes the lag counter and trims acknowledged entries, at most once a second. */
  private async measure(force = false) {
    const now = Date.now();
    if (!force && now - this.lastMeasured < 1_000) return;
    this.lastMeasured = now;
    try {
      if (this.ackedSinceTrim > 0) {
        await this.stream.trimAcknowledged();
        this.ackedSinceTrim = 0;
      }
      const backlog = await this.stream.backlog();
      this.stats.lag = backlog.lag;
      this.stats.pending = backlog.pending;
    } catch (error) {
      this.logger.warn("cannot measure or trim the stream", { error });
    }
  }

  // --- Recovery: this worker's own pending entries, and entries other consumers left idle ------------------------

  private async drainOwnPending() {
    let cursor = "0";
    while (!this.stopping) {
      const entries = await this.retrying("reading this worker's pending entries", () =>
        this.stream.readOwnPending(this.options.consumer, this.options.batchSize, cursor),
      );
      if (!entries || entries.length === 0) return;
      this.logger.info("redoing entries this worker held when it last stopped", { entries: entries.length });
      await this.handle(entries);
      cursor = entries[entries.length - 1]!.id;
    }
  }

  private async claimIdle() {
    let cursor = "0-0";
    do {
      const result = await this.stream.claimIdle(
        this.options.consumer,
        this.claimIdleMs,
        this.options.batchSize,
        cursor,
      );
      if (result.entries.length) {
        this.logger.info("took over entries idle for too long", { entries: result.entries.length });
        await this.handle(result.entries);
      }
      cursor = result.next;
    } while (cursor !== "0-0" && !this.stopping);
  }
}

/**
 * Each transaction allocates MBs that are garbage right after (decoded rows, the COPY text, driver buffers), and
 * JavaScriptCore lets the heap grow past the 200 MB budget before collecting on its own (255-310 MB peaks in short
 * drains without this). A full collection when the process is above the threshold kept the peak at 158-167 MB
 * (bench, pipeline part). It is not free: a quick pipeline run (~300,000 events) made 7 of them at ~64 ms each,
 * about 1.5 µs per stored event (timed around Bun.gc).
 */
function collectGarbageIfLarge() {
  if (process.memoryUsage.rss() > GC_ABOVE_RSS_BYTES) Bun.gc(true);
}
