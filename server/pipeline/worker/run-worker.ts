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
import { type BatchOutcome, DatabaseUnavailable, processEntries } from "./process-entries.ts";

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
}

export interface WorkerStats {
  batches: number;
  entries: number;
  inserted: number;
  duplicates: number;
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

/**
 * Entry bytes per transaction: about 7,000 events of the benchmark's 100-event requests. Concurrent transactions
 * queue on the rows they all update (the current buckets' rollup cells, active sessions and users) from their
 * first update to their COMMIT, so that part of a transaction runs one at a time whatever its size; larger
 * transactions pay it for more events. Benchmark pipeline, quick runs alternated on 2 cores, 750 KB -> 2 MB:
 * drain 49-55k -> 59-65k events/s, sustained 41-52k -> 54-58k, PostgreSQL CPU 15.8-17.8 -> 12.5-13.8 µs per event,
 * worker peak RSS 155-158 -> 172-178 MB (3 MB reached 184 MB, too near the 200 MB budget).
 */
export const MAX_TRANSACTION_BYTES = 2_000_000;
const GC_ABOVE_RSS_BYTES = 150 * 1024 * 1024;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

class Backoff {
  private attempt = 0;
  next(): number {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    return base / 2 + Math.random() * (base / 2);
  }
  reset() {
    this.attempt = 0;
  }
}

/**
 * Splits what one read returned into transactions of at most MAX_TRANSACTION_BYTES, all about the same size: a read
 * just over the limit becomes two halves, not a full transaction and a one-entry one. Part of every transaction's
 * cost does not depend on its size (the rows all transactions update are held from the first update to COMMIT, and
 * the COMMIT waits for its WAL flush), and a quick drain made a third of its transactions of one entry each.
 */
export function transactionsOf(entries: readonly StreamEntry[]): StreamEntry[][] {
  let remaining = 0;
  for (const entry of entries) remaining += entry.payload.length;
  let left = Math.ceil(remaining / MAX_TRANSACTION_BYTES);
  // Each transaction aims at an equal share of what is left, so shortfalls do not pile up into a small last one.
  let target = remaining / left;
  const chunks: StreamEntry[][] = [];
  let current: StreamEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const length = entry.payload.length;
    // Close the transaction when this entry would take it past its share by more than it would leave it short.
    if (current.length > 0 && (bytes + length > MAX_TRANSACTION_BYTES || bytes + length / 2 > target)) {
      chunks.push(current);
      remaining -= bytes;
      left = Math.max(1, left - 1);
      target = remaining / left;
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function startWorker(deps: WorkerDeps, options: WorkerOptions): RunningWorker {
  const { stream, logger } = deps;
  const blockMs = options.blockMs ?? 2_000;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const claimEveryMs = options.claimEveryMs ?? 5_000;
  const concurrency = options.concurrency ?? 2;
  const stats: WorkerStats = {
    batches: 0,
    entries: 0,
    inserted: 0,
    duplicates: 0,
    deadLettered: 0,
    lag: 0,
    pending: 0,
  };
  let stopping = false;
  const backoff = new Backoff();
  let lastMeasured = 0;
  let ackedSinceTrim = 0;

  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });

  async function retrying<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    let failing = false;
    while (!stopping) {
      try {
        const result = await action();
        if (failing) logger.info(`${what}: working again`);
        backoff.reset();
        return result;
      } catch (error) {
        if (!failing) logger.warn(`${what} failed; retrying with backoff`, { error });
        failing = true;
        await sleep(backoff.next());
      }
    }
    return undefined;
  }

  /**
   * How many entries to read: WORKER_BATCH_SIZE, but no more than the free transaction slots can take at the
   * average entry size seen so far. 200 entries of 100-event requests are 6 MB of text that would otherwise wait in
   * memory for a slot.
   */
  let averageEntryBytes = 0;
  function noteEntrySizes(entries: StreamEntry[]) {
    let total = 0;
    for (const entry of entries) total += entry.payload.length;
    const average = total / entries.length;
    averageEntryBytes = averageEntryBytes === 0 ? average : averageEntryBytes * 0.8 + average * 0.2;
  }
  function readCount(): number {
    if (averageEntryBytes === 0) return options.batchSize;
    const fits = Math.floor(((concurrency - inFlight.size) * MAX_TRANSACTION_BYTES) / averageEntryBytes);
    return Math.max(1, Math.min(options.batchSize, fits));
  }

  /** Transactions in flight; the loop reads again as soon as one of them is done, not when all are. */
  const inFlight = new Set<Promise<void>>();

  async function waitForFreeSlot() {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
  }

  /**
   * Starts storing what was read: split into transactions of at most MAX_TRANSACTION_BYTES of entries (bounded
   * memory and lock time whatever WORKER_BATCH_SIZE is), up to `concurrency` in flight so PostgreSQL can use more
   * than one core and a new read never waits for the slowest transaction of the last one (live-feed latency). Each
   * transaction acknowledges its own entries after its own COMMIT. Resolves once every chunk has a slot.
   */
  async function dispatch(entries: StreamEntry[]): Promise<void> {
    const start = async (chunk: StreamEntry[]) => {
      await waitForFreeSlot();
      const running: Promise<void> = handleTransaction(chunk).finally(() => {
        inFlight.delete(running);
        collectGarbageIfLarge();
      });
      inFlight.add(running);
    };
    for (const chunk of transactionsOf(entries)) await start(chunk);
  }

  /** Stores what was read and waits until all of it is done (recovery paths, where order of work matters more). */
  async function handle(entries: StreamEntry[]): Promise<void> {
    await dispatch(entries);
    await Promise.all(inFlight);
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

  /** Stores one transaction's entries, retrying while PostgreSQL is away (unless the worker stops). */
  async function handleTransaction(entries: StreamEntry[]): Promise<void> {
    let databaseDown = false;
    while (true) {
      const started = performance.now();
      let outcome: BatchOutcome;
      try {
        outcome = await processEntries({ ...deps, maxDeliveries: options.maxDeliveries }, entries);
      } catch (error) {
        if (error instanceof DatabaseUnavailable) {
          if (!databaseDown)
            logger.warn("PostgreSQL is unavailable; keeping the batch and retrying", { error: error.cause });
          databaseDown = true;
          if (stopping) {
            logger.info("stopping with an unstored batch; it stays pending for the next start", {
              entries: entries.length,
            });
            return;
          }
          await sleep(backoff.next());
          continue;
        }
        // Stored but not acknowledged (Redis went away after the COMMIT): the entries come back and re-insert nothing.
        logger.warn("a batch failed after or outside storage; its entries will be delivered again", { error });
        await sleep(backoff.next());
        return;
      }
      if (databaseDown) logger.info("PostgreSQL is back; the batch is stored");
      backoff.reset();
      stats.batches++;
      stats.entries += outcome.entries;
      stats.inserted += outcome.inserted;
      stats.duplicates += outcome.duplicates;
      stats.deadLettered += outcome.deadLettered;
      ackedSinceTrim += outcome.acked;
      // Counted after the COMMIT, not awaited: a metrics write must never hold back or fail the pipeline.
      deps.storedEvents?.add(options.consumer, outcome.inserted).catch((error) => {
        logger.warn("cannot add to the stored-events counter", { error });
      });
      await measure();
      logger.info("batch stored", {
        entries: outcome.entries,
        events: outcome.events,
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
        failed: outcome.failedEvents,
        deadLettered: outcome.deadLettered,
        ms: Math.round(performance.now() - started),
        lag: stats.lag,
        pending: stats.pending,
        rssMb: Math.round(process.memoryUsage.rss() / 1_048_576),
      });
      return;
    }
  }

  /** Refreshes the lag counter and trims acknowledged entries, at most once a second. */
  async function measure(force = false) {
    const now = Date.now();
    if (!force && now - lastMeasured < 1_000) return;
    lastMeasured = now;
    try {
      if (ackedSinceTrim > 0) {
        await stream.trimAcknowledged();
        ackedSinceTrim = 0;
      }
      const backlog = await stream.backlog();
      stats.lag = backlog.lag;
      stats.pending = backlog.pending;
    } catch (error) {
      logger.warn("cannot measure or trim the stream", { error });
    }
  }

  async function drainOwnPending() {
    let cursor = "0";
    while (!stopping) {
      const entries = await retrying("reading this worker's pending entries", () =>
        stream.readOwnPending(options.consumer, options.batchSize, cursor),
      );
      if (!entries || entries.length === 0) return;
      logger.info("redoing entries this worker held when it last stopped", { entries: entries.length });
      await handle(entries);
      cursor = entries[entries.length - 1]!.id;
    }
  }

  async function claimIdle() {
    let cursor = "0-0";
    do {
      const result = await stream.claimIdle(options.consumer, claimIdleMs, options.batchSize, cursor);
      if (result.entries.length) {
        logger.info("took over entries idle for too long", { entries: result.entries.length });
        await handle(result.entries);
      }
      cursor = result.next;
    } while (cursor !== "0-0" && !stopping);
  }

  async function loop() {
    await retrying("creating the consumer group", () => stream.ensureGroup());
    await drainOwnPending();
    let lastClaim = 0;
    while (!stopping) {
      try {
        if (Date.now() - lastClaim >= claimEveryMs) {
          lastClaim = Date.now();
          await claimIdle();
        }
        await waitForFreeSlot();
        const entries = await stream.readNew(options.consumer, readCount(), blockMs);
        if (entries.length) {
          noteEntrySizes(entries);
          await dispatch(entries);
        } else {
          await measure();
        }
        backoff.reset();
      } catch (error) {
        if (stopping) break;
        if (error instanceof Error && error.message.includes("NOGROUP")) {
          // Redis lost the stream (restarted without persistence, or flushed): make the group again, from 0 so
          // whatever ingest appended since is read too.
          logger.warn("the consumer group is gone; creating it again", { error: error.message });
          await retrying("creating the consumer group", () => stream.ensureGroup());
          continue;
        }
        logger.warn("reading the stream failed; retrying with backoff", { error });
        await sleep(backoff.next());
      }
    }
    if (options.drainOnStop) {
      // In-process stream: what is still queued exists nowhere else, so store it before leaving.
      stopping = false;
      for (;;) {
        const entries = await stream.readNew(options.consumer, options.batchSize, 0);
        if (entries.length === 0) break;
        await handle(entries);
      }
      stopping = true;
    }
    await Promise.all(inFlight);
    await measure(true);
  }

  logger.info("worker started", { consumer: options.consumer, batchSize: options.batchSize });
  const done = loop().catch((error) => {
    logger.error("the worker loop stopped on an unexpected error", { error });
    throw error;
  });

  return {
    stats,
    done,
    stop: async () => {
      stopping = true;
      for (const wake of [...sleepers]) wake();
      stream.interruptReads();
      await done;
      logger.info("worker stopped", { consumer: options.consumer, ...stats });
    },
  };
}
