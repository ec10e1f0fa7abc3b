/**
 * The ingest queue: a Redis Stream (`events:ingest`, consumer group `event_workers`) when REDIS_URL is set, an
 * in-process stream with the same semantics in embedded mode. One entry per accepted ingest request (a whole batch),
 * never one per event.
 *
 * Invariants:
 * - An entry stays in its consumer's pending list until `ack`; the worker acks only after the PostgreSQL COMMIT.
 * - `deliveries` counts how often an entry was handed out (first read = 1); after a few, the worker moves it to the
 *   dead-letter stream with a reason (`deadLetter` adds it there and acks it in one step).
 * - `trimAcknowledged` never removes an entry that is pending or not yet delivered: it trims by MINID up to the
 *   oldest such entry. When the backlog is too large, ingest answers 503 instead of trimming.
 *
 * Hand-written on Redis Streams rather than a job-queue library, for measured speed and for the rules above: ingest
 * writes one entry per request through one batched native XADD (why: see redis-append-batcher.ts, ~30 % of the API's
 * CPU before it), and the worker reads hundreds per XREADGROUP; a job library keeps a hash and several commands per job.
 */
export const INGEST_STREAM = "events:ingest";
export const DEAD_LETTER_STREAM = "events:dead";
export const CONSUMER_GROUP = "event_workers";

export interface StreamEntry {
  id: string;
  payload: string;
  /** How many times this entry has been delivered, this delivery included. */
  deliveries: number;
}

export interface StreamBacklog {
  /** Entries in the stream (acknowledged ones not yet trimmed included). */
  length: number;
  /** Entries delivered to a consumer and not acknowledged. */
  pending: number;
  /** Entries not yet delivered to any consumer. */
  lag: number;
}

export interface DeadLetter {
  id: string;
  entryId: string;
  payload: string;
  reason: string;
  deliveries: number;
}

export interface EventStream {
  /** Creates the consumer group (from the stream's beginning) if it does not exist. */
  ensureGroup(): Promise<void>;
  /** Appends one entry; resolves only once the stream has it. */
  append(payload: string): Promise<string>;
  /** Entries never delivered to anyone, waiting up to `blockMs` for some to arrive. */
  readNew(consumer: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /** This consumer's own pending entries with ids after `afterId` ("0" for all): what a restarted worker redoes. */
  readOwnPending(consumer: string, count: number, afterId: string): Promise<StreamEntry[]>;
  /** Takes over entries idle for at least `minIdleMs` (their consumer died); call again with `next` until "0-0". */
  claimIdle(
    consumer: string,
    minIdleMs: number,
    count: number,
    cursor: string,
  ): Promise<{ next: string; entries: StreamEntry[] }>;
  ack(ids: readonly string[]): Promise<void>;
  /** Copies the entry to the dead-letter stream with its reason and acknowledges it, atomically. */
  deadLetter(entry: StreamEntry, reason: string): Promise<void>;
  /** Dead letters oldest first, at most `count`, with ids after `afterId` when given (paging). */
  readDeadLetters(count: number, afterId?: string): Promise<DeadLetter[]>;
  deadLetterCount(): Promise<number>;
  /**
   * Appends the dead letter's payload to the ingest stream as a new entry (the worker stores it; its insert ids keep
   * it exactly once) and removes it from the dead-letter stream, in one step. False when there is no such id.
   */
  replayDeadLetter(id: string): Promise<boolean>;
  /** Deletes a dead letter; false when there is no such id. */
  dropDeadLetter(id: string): Promise<boolean>;
  /** Ends a blocked `readNew` early (shutdown). Entries it had already taken stay pending for this consumer. */
  interruptReads(): void;
  /** Removes acknowledged entries older than every pending or undelivered one; returns how many went. */
  trimAcknowledged(): Promise<number>;
  backlog(): Promise<StreamBacklog>;
  /** The id of the oldest entry not yet stored (pending or never delivered), null when there is none. */
  oldestUnstoredId(): Promise<string | null>;
  close(): Promise<void>;
}

/** Orders two stream ids ("<ms>-<seq>") as Redis does. */
export function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split("-");
  const [bMs, bSeq] = b.split("-");
  const ms = BigInt(aMs ?? "0") - BigInt(bMs ?? "0");
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(aSeq ?? "0") - BigInt(bSeq ?? "0");
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
