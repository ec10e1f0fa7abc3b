/**
 * The ingest queue: a Redis Stream (`events:ingest`, consumer group `event_workers`) when REDIS_URL is set, an
 * in-process stream with the same semantics in embedded mode. One entry per accepted ingest request (a whole batch),
 * never one per event.
 *
 * Invariants (see shared/RELIABILITY-NOTES):
 * - An entry stays in its consumer's pending list until `ack`; the worker acks only after the PostgreSQL COMMIT.
 * - `deliveries` counts how often an entry was handed out (first read = 1); after a few, the worker moves it to the
 *   dead-letter stream with a reason (`deadLetter` adds it there and acks it in one step).
 * - `trimAcknowledged` never removes an entry that is pending or not yet delivered: it trims by MINID up to the
 *   oldest such entry. When the backlog is too large, ingest answers 503 instead of trimming.
 *
 * Hand-written on Redis Streams rather than a job-queue library, for measured speed and for the rules above: ingest
 * writes one entry per request through one batched native XADD (why: see NativeAppender, ~30 % of the API's CPU
 * before it), and the worker reads hundreds per XREADGROUP; a job library keeps a hash and several commands per job.
 */
import { RedisClient } from "bun";
import type { Redis } from "ioredis";

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

// ---------------------------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------------------------

type RawEntry = [id: string, fields: string[] | null];

function payloadOf(fields: string[] | null): string | null {
  if (!fields) return null;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === "d") return fields[i + 1]!;
  return null;
}

function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split("-");
  const [bMs, bSeq] = b.split("-");
  const ms = BigInt(aMs ?? "0") - BigInt(bMs ?? "0");
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(aSeq ?? "0") - BigInt(bSeq ?? "0");
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** How long an append may wait for Redis before it counts as failed (ioredis' commandTimeout for the rest). */
const APPEND_TIMEOUT_MS = 2_000;

/**
 * The URL of the server an ioredis connection talks to, for Bun's own client; null when the connection uses what
 * a URL cannot carry here (TLS settings, a Unix socket, Sentinel), and appends then stay on ioredis.
 */
export function nativeUrlOf(redis: Redis): string | null {
  const { host, port, username, password, db, tls, path, sentinels } = redis.options;
  if (tls || path || sentinels?.length || !host || !port) return null;
  const auth = password ? `${encodeURIComponent(username ?? "")}:${encodeURIComponent(password)}@` : "";
  return `redis://${auth}${host.includes(":") ? `[${host}]` : host}:${port}/${db ?? 0}`;
}

/**
 * Appends through Bun's native Redis client, on a connection of its own, several entries per command.
 *
 * Why: XADD is ingest's one Redis command per request, and through ioredis it was the largest part of the API
 * server's CPU (~30 % of profile samples). ioredis builds every command as one JS string (a byteLength pass,
 * concatenation into the pipeline's string, a UTF-8 copy into node:net's buffers): for 25 KB entries those
 * megabyte strings and their copies dominated, and for small ones the per-command machinery did. Bun's client
 * encodes natively but sends each command with its own send(); so the appends made in one turn of the event loop
 * are sent as one EVAL of a script that XADDs each of them, one entry per request as before, each with its own
 * id or error (a refused XADD, e.g. OOM, fails only its own append). While a batch is in flight the next one
 * fills, as ioredis' auto-pipelining does.
 *
 * It keeps the ioredis stream connection's contract: no offline queue (an append while Redis is away fails at
 * once, and ingest stores the batch in PostgreSQL instead), at most 2 s per append (counted from the moment it was
 * queued), and reconnection in the background for as long as the process lives. Like a timed-out XADD, an append
 * that timed out may still have reached the stream; the worker's insert-id dedupe makes storing it twice harmless.
 */
const APPEND_SCRIPT =
  "local ids = {} " +
  "for i, payload in ipairs(ARGV) do " +
  "local id = redis.pcall('XADD', KEYS[1], '*', 'd', payload) " +
  "if type(id) == 'table' then ids[i] = '!' .. tostring(id.err) else ids[i] = id end " +
  "end return ids";

/** Bounds on one EVAL: entries, and their total length (ingest bodies are at most 1 MiB each). */
const MAX_BATCH_ENTRIES = 500;
const MAX_BATCH_LENGTH = 8 * 1024 * 1024;

interface PendingAppend {
  payload: string;
  resolve: (id: string) => void;
  reject: (error: Error) => void;
}

interface AppendBatch {
  items: PendingAppend[];
  length: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

class NativeAppender {
  private client: RedisClient | null = null;
  /** Set while a new connection's first attempt may still succeed (at most APPEND_TIMEOUT_MS). */
  private firstAttempt: Promise<void> | null = null;
  private openedAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** The batch new appends join; then batches waiting for the one in flight, oldest first. */
  private filling: AppendBatch | null = null;
  private readonly waiting: AppendBatch[] = [];
  private inFlight: AppendBatch | null = null;
  private flushScheduled = false;

  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {}

  async append(payload: string): Promise<string> {
    if (this.closed) throw new Error("the event stream is closed");
    const client = this.client ?? this.open();
    // Only the first attempt of a new connection is waited for (briefly); otherwise, while the client is
    // reconnecting, the append fails at once (no offline queue), as with ioredis.
    if (!client.connected && this.firstAttempt) await this.firstAttempt;
    if (!client.connected) throw new Error("Redis is not connected (appends are not queued while it is away)");
    return new Promise<string>((resolve, reject) => {
      let batch = this.filling;
      if (!batch || batch.items.length >= MAX_BATCH_ENTRIES || batch.length >= MAX_BATCH_LENGTH) {
        if (batch) this.waiting.push(batch);
        batch = this.filling = this.newBatch();
      }
      batch.items.push({ payload, resolve, reject });
      batch.length += payload.length;
      this.scheduleFlush();
    });
  }

  private newBatch(): AppendBatch {
    const batch: AppendBatch = { items: [], length: 0, timer: undefined, settled: false };
    batch.timer = setTimeout(() => {
      this.fail(batch, new Error(`XADD had no answer within ${APPEND_TIMEOUT_MS} ms`));
      // A batch Redis never answers must not hold back the ones behind it.
      if (this.inFlight === batch) {
        this.inFlight = null;
        this.scheduleFlush();
      }
    }, APPEND_TIMEOUT_MS);
    return batch;
  }

  private scheduleFlush() {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: requests handled in the same turn of the event loop share the command.
    setImmediate(this.flush);
  }

  private readonly flush = () => {
    this.flushScheduled = false;
    if (this.inFlight) return;
    // Batches that timed out while waiting have nothing left to send.
    let batch = this.waiting.shift() ?? this.takeFilling();
    while (batch?.settled) batch = this.waiting.shift() ?? this.takeFilling();
    if (!batch) return;
    const client = this.client;
    if (!client || this.closed) {
      this.fail(batch, new Error("the Redis connection for appends is closed"));
      this.scheduleFlush();
      return;
    }
    const sent = batch;
    this.inFlight = sent;
    const args = new Array<string>(sent.items.length + 3);
    args[0] = APPEND_SCRIPT;
    args[1] = "1";
    args[2] = this.key;
    for (let i = 0; i < sent.items.length; i++) args[i + 3] = sent.items[i]!.payload;
    client
      .send("EVAL", args)
      .then(
        (ids: unknown) => this.settle(sent, ids),
        (error: unknown) => this.fail(sent, error instanceof Error ? error : new Error(String(error))),
      )
      .finally(() => {
        if (this.inFlight === sent) this.inFlight = null;
        if (this.waiting.length > 0 || this.filling) this.scheduleFlush();
      });
  };

  private takeFilling(): AppendBatch | null {
    const batch = this.filling;
    this.filling = null;
    return batch;
  }

  private settle(batch: AppendBatch, ids: unknown) {
    if (batch.settled) return;
    batch.settled = true;
    clearTimeout(batch.timer);
    const list = Array.isArray(ids) ? ids : [];
    for (let i = 0; i < batch.items.length; i++) {
      const item = batch.items[i]!;
      const id: unknown = list[i];
      if (typeof id === "string" && id !== "" && id.charCodeAt(0) !== 33 /* ! */) item.resolve(id);
      else item.reject(new Error(typeof id === "string" ? `XADD refused: ${id.slice(1)}` : "XADD returned no id"));
    }
  }

  private fail(batch: AppendBatch, error: Error) {
    if (batch.settled) return;
    batch.settled = true;
    clearTimeout(batch.timer);
    for (const item of batch.items) item.reject(error);
  }

  private open(): RedisClient {
    // A client that could not connect at all (refused credentials, say) is replaced at most once a second.
    if (performance.now() - this.openedAt < 1_000) throw new Error("Redis cannot be reached for appends");
    this.openedAt = performance.now();
    const client = new RedisClient(this.url, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      autoReconnect: true,
      // Reconnect for as long as the process lives (the largest value the client takes).
      maxRetries: 0xffff_ffff,
      connectionTimeout: APPEND_TIMEOUT_MS,
    });
    const drop = () => {
      if (this.client !== client) return;
      this.client = null;
      client.close();
    };
    // The client gave up (or never could connect): the next append opens a new one.
    client.onclose = drop;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = Promise.race([
      client.connect().catch(drop),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, APPEND_TIMEOUT_MS);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      if (this.firstAttempt === attempt) this.firstAttempt = null;
    });
    this.firstAttempt = attempt;
    this.client = client;
    return client;
  }

  close() {
    this.closed = true;
    const client = this.client;
    this.client = null;
    client?.close();
    const error = new Error("the event stream is closed");
    for (const batch of [...this.waiting, this.filling, this.inFlight]) if (batch) this.fail(batch, error);
    this.waiting.length = 0;
    this.filling = null;
  }
}

export interface RedisEventStreamOptions {
  /** Commands (XADD, XACK, XAUTOCLAIM, ...). Should fail fast when Redis is away (no offline queue). */
  redis: Redis;
  /**
   * Where appends (XADD) go: Bun's native client to this URL; null for `redis` itself. By default, the server
   * `redis` is connected to when its options fit in a URL (see `nativeUrlOf`).
   */
  appendUrl?: string | null;
  /**
   * Opens the dedicated connection for blocking reads (XREADGROUP BLOCK ties up its connection), on first use: a
   * process that only appends never opens it.
   */
  connectBlocking?: () => Redis;
  prefix?: string;
}

export class RedisEventStream implements EventStream {
  private readonly redis: Redis;
  private readonly connectBlocking: (() => Redis) | undefined;
  private blocking: Redis | undefined;
  /** Ends each blocked read with no entries when `interruptReads` is called (one per read in progress). */
  private readonly blockedReads = new Set<(entries: StreamEntry[]) => void>();
  private readonly key: string;
  private readonly deadKey: string;
  /** Opened on the first append: a process that never appends (the worker) never connects it. */
  private appender: NativeAppender | null;

  constructor({ redis, connectBlocking, prefix = "", appendUrl }: RedisEventStreamOptions) {
    this.redis = redis;
    this.connectBlocking = connectBlocking;
    this.key = prefix + INGEST_STREAM;
    this.deadKey = prefix + DEAD_LETTER_STREAM;
    const url = appendUrl === undefined ? nativeUrlOf(redis) : appendUrl;
    this.appender = url ? new NativeAppender(url, this.key) : null;
  }

  async ensureGroup() {
    try {
      await this.redis.xgroup("CREATE", this.key, CONSUMER_GROUP, "0", "MKSTREAM");
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("BUSYGROUP"))) throw error;
    }
  }

  async append(payload: string) {
    const appender = this.appender;
    if (appender) {
      try {
        return await appender.append(payload);
      } catch (error) {
        if (!scriptingRefused(error)) throw error;
        // A Redis that does not run scripts for us (an ACL without EVAL, scripting disabled): plain XADDs from now on
        // (the other appends of the refused batch come here too).
        if (this.appender === appender) {
          this.appender = null;
          appender.close();
        }
      }
    }
    const id = await this.redis.xadd(this.key, "*", "d", payload);
    if (!id) throw new Error("XADD returned no id");
    return id;
  }

  async readNew(consumer: string, count: number, blockMs: number) {
    if (!this.blocking && this.connectBlocking) this.blocking = this.connectBlocking();
    const connection = this.blocking ?? this.redis;
    const read = connection
      .xreadgroup("GROUP", CONSUMER_GROUP, consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", this.key, ">")
      .then((result) => {
        const raw = (result as Array<[string, RawEntry[]]> | null)?.[0]?.[1] ?? [];
        return raw.map(([id, fields]) => ({ id, payload: payloadOf(fields) ?? "", deliveries: 1 }));
      });
    // Racing an interrupt rather than trusting disconnect(): ioredis never settles a command queued while it waits
    // to reconnect if it is disconnected then. Entries such an abandoned read took stay pending for this consumer.
    // The interrupt is made per read and dropped after it: racing one long-lived promise left a reaction on it per
    // read, and each reaction kept that read's entries alive (the worker's heap grew ~3 MB/s while draining).
    const interrupt = Promise.withResolvers<StreamEntry[]>();
    this.blockedReads.add(interrupt.resolve);
    try {
      return await Promise.race([read, interrupt.promise]);
    } finally {
      this.blockedReads.delete(interrupt.resolve);
    }
  }

  async readOwnPending(consumer: string, count: number, afterId: string) {
    const result = (await this.redis.xreadgroup(
      "GROUP",
      CONSUMER_GROUP,
      consumer,
      "COUNT",
      count,
      "STREAMS",
      this.key,
      afterId === "0" ? "0" : afterId,
    )) as Array<[string, RawEntry[]]> | null;
    const raw = result?.[0]?.[1] ?? [];
    return this.withDeliveries(raw, consumer);
  }

  async claimIdle(consumer: string, minIdleMs: number, count: number, cursor: string) {
    const [next, raw] = (await this.redis.xautoclaim(
      this.key,
      CONSUMER_GROUP,
      consumer,
      minIdleMs,
      cursor,
      "COUNT",
      count,
    )) as [string, RawEntry[], string[]];
    return { next, entries: await this.withDeliveries(raw, consumer) };
  }

  /** Delivery counts live in the pending list, not in the read reply: one XPENDING over the range fetches them. */
  private async withDeliveries(raw: RawEntry[], consumer: string): Promise<StreamEntry[]> {
    if (raw.length === 0) return [];
    const first = raw[0]![0];
    const last = raw[raw.length - 1]![0];
    const pending = (await this.redis.xpending(this.key, CONSUMER_GROUP, first, last, raw.length, consumer)) as Array<
      [string, string, number, number]
    >;
    const counts = new Map(pending.map(([id, , , deliveries]) => [id, deliveries]));
    const entries: StreamEntry[] = [];
    for (const [id, fields] of raw) {
      const payload = payloadOf(fields);
      // A pending id whose entry was deleted from the stream comes back with no fields: nothing left to store.
      if (payload === null) {
        await this.redis.xack(this.key, CONSUMER_GROUP, id);
        continue;
      }
      entries.push({ id, payload, deliveries: counts.get(id) ?? 1 });
    }
    return entries;
  }

  async ack(ids: readonly string[]) {
    if (ids.length) await this.redis.xack(this.key, CONSUMER_GROUP, ...ids);
  }

  async deadLetter(entry: StreamEntry, reason: string) {
    const result = await this.redis
      .multi()
      .xadd(
        this.deadKey,
        "*",
        "entry",
        entry.id,
        "d",
        entry.payload,
        "reason",
        reason,
        "deliveries",
        String(entry.deliveries),
      )
      .xack(this.key, CONSUMER_GROUP, entry.id)
      .exec();
    const failed = result?.find(([error]) => error);
    if (!result || failed) throw failed?.[0] ?? new Error("dead-letter transaction was discarded");
  }

  async readDeadLetters(count: number, afterId?: string) {
    // nextId rather than an exclusive "(id" range, which needs Redis 6.2.
    const start = afterId ? nextId(afterId) : "-";
    const raw = (await this.redis.xrange(this.deadKey, start, "+", "COUNT", count)) as RawEntry[];
    return raw.map(([id, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; fields && i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
      return {
        id,
        entryId: map.get("entry") ?? "",
        payload: map.get("d") ?? "",
        reason: map.get("reason") ?? "",
        deliveries: Number(map.get("deliveries") ?? 0),
      };
    });
  }

  async deadLetterCount() {
    return this.redis.xlen(this.deadKey);
  }

  async replayDeadLetter(id: string) {
    const [entry] = (await this.redis.xrange(this.deadKey, id, id)) as RawEntry[];
    const payload = entry ? payloadOf(entry[1]) : null;
    if (payload === null) return false;
    const result = await this.redis.multi().xadd(this.key, "*", "d", payload).xdel(this.deadKey, id).exec();
    const failed = result?.find(([error]) => error);
    if (!result || failed) throw failed?.[0] ?? new Error("replay transaction was discarded");
    return true;
  }

  async dropDeadLetter(id: string) {
    return (await this.redis.xdel(this.deadKey, id)) > 0;
  }

  async trimAcknowledged() {
    if ((await this.redis.exists(this.key)) === 0) return 0;
    const groups = (await this.redis.xinfo("GROUPS", this.key)) as Array<Array<string | number | null>>;
    const group = groups.map(toRecord).find((g) => g.name === CONSUMER_GROUP);
    // No group yet: nobody has read anything, so nothing may go.
    if (!group) return 0;
    const lastDelivered = String(group["last-delivered-id"] ?? "0-0");
    let minId = nextId(lastDelivered);
    if (Number(group.pending ?? 0) > 0) {
      const summary = (await this.redis.xpending(this.key, CONSUMER_GROUP)) as [
        number,
        string | null,
        string | null,
        unknown,
      ];
      if (summary[1] && compareIds(summary[1], minId) < 0) minId = summary[1];
    }
    return this.redis.xtrim(this.key, "MINID", minId);
  }

  async backlog() {
    // XINFO fails on a stream that does not exist yet (nothing was ever appended): an empty backlog.
    if ((await this.redis.exists(this.key)) === 0) return { length: 0, pending: 0, lag: 0 };
    const [length, groups] = (await this.redis
      .multi()
      .xlen(this.key)
      .xinfo("GROUPS", this.key)
      .exec()
      .then((result) => {
        if (!result) throw new Error("backlog transaction was discarded");
        for (const [error] of result) if (error) throw error;
        return result.map(([, value]) => value);
      })) as [number, Array<Array<string | number | null>>];
    const group = groups.map(toRecord).find((g) => g.name === CONSUMER_GROUP);
    const pending = Number(group?.pending ?? 0);
    // `lag` is null when Redis cannot tell (after deletions); then everything not pending counts as lag.
    const lag = group ? Number(group.lag ?? Math.max(0, length - pending)) : length;
    return { length, pending, lag };
  }

  async oldestUnstoredId() {
    if ((await this.redis.exists(this.key)) === 0) return null;
    const groups = (await this.redis.xinfo("GROUPS", this.key)) as Array<Array<string | number | null>>;
    const group = groups.map(toRecord).find((g) => g.name === CONSUMER_GROUP);
    const lastDelivered = String(group?.["last-delivered-id"] ?? "0-0");
    const [waiting, summary] = await Promise.all([
      this.redis.xrange(this.key, nextId(lastDelivered), "+", "COUNT", 1) as Promise<RawEntry[]>,
      group && Number(group.pending ?? 0) > 0
        ? (this.redis.xpending(this.key, CONSUMER_GROUP) as Promise<[number, string | null, string | null, unknown]>)
        : null,
    ]);
    const firstWaiting = waiting[0]?.[0] ?? null;
    const oldestPending = summary?.[1] ?? null;
    if (!oldestPending) return firstWaiting;
    if (!firstWaiting) return oldestPending;
    return compareIds(oldestPending, firstWaiting) < 0 ? oldestPending : firstWaiting;
  }

  interruptReads() {
    for (const resolve of this.blockedReads) resolve([]);
    this.blockedReads.clear();
    this.blocking?.disconnect();
    this.blocking = undefined;
  }

  async close() {
    this.interruptReads();
    this.appender?.close();
  }
}

/** True for the errors Redis gives when EVAL itself is not allowed (not when one XADD in it was refused). */
function scriptingRefused(error: unknown): boolean {
  const message = error instanceof Error ? error.message : "";
  return /^NOPERM\b.*\beval\b/i.test(message) || /^ERR unknown command .?eval/i.test(message);
}

function toRecord(flat: Array<string | number | null>): Record<string, string | number | null> {
  const record: Record<string, string | number | null> = Object.create(null);
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1] ?? null;
  return record;
}

function nextId(id: string): string {
  const [ms, seq] = id.split("-");
  return `${ms ?? "0"}-${BigInt(seq ?? "0") + 1n}`;
}

// ---------------------------------------------------------------------------------------------------------------
// In process (embedded mode)
// ---------------------------------------------------------------------------------------------------------------

interface MemoryEntry {
  id: string;
  payload: string;
}

interface PendingInfo {
  consumer: string;
  deliveries: number;
  deliveredAt: number;
}

/**
 * The same contract in memory, for embedded mode (one process runs ingest and worker). Entries live only as long as
 * the process: shutdown drains them (the worker finishes the backlog before exit), a kill -9 loses what was not yet
 * stored.
 */
export class MemoryEventStream implements EventStream {
  private entries: MemoryEntry[] = [];
  /** Index in `entries` of the first entry never delivered. */
  private nextUndelivered = 0;
  private readonly pending = new Map<string, PendingInfo>();
  private readonly dead: DeadLetter[] = [];
  private lastMs = 0;
  private seq = 0;
  private waiters = new Set<() => void>();
  private closed = false;

  async ensureGroup() {}

  async append(payload: string) {
    if (this.closed) throw new Error("the event stream is closed");
    const id = this.makeId();
    this.entries.push({ id, payload });
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
    return id;
  }

  private makeId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else {
      this.seq++;
    }
    return `${this.lastMs}-${this.seq}`;
  }

  async readNew(consumer: string, count: number, blockMs: number) {
    if (this.nextUndelivered >= this.entries.length && blockMs > 0 && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiters.delete(wake);
          resolve();
        }, blockMs);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
    const out: StreamEntry[] = [];
    const now = Date.now();
    while (out.length < count && this.nextUndelivered < this.entries.length) {
      const entry = this.entries[this.nextUndelivered++]!;
      this.pending.set(entry.id, { consumer, deliveries: 1, deliveredAt: now });
      out.push({ id: entry.id, payload: entry.payload, deliveries: 1 });
    }
    return out;
  }

  async readOwnPending(consumer: string, count: number, afterId: string) {
    const out: StreamEntry[] = [];
    const now = Date.now();
    for (const entry of this.entries) {
      if (out.length >= count) break;
      const info = this.pending.get(entry.id);
      if (!info || info.consumer !== consumer || (afterId !== "0" && compareIds(entry.id, afterId) <= 0)) continue;
      info.deliveries++;
      info.deliveredAt = now;
      out.push({ id: entry.id, payload: entry.payload, deliveries: info.deliveries });
    }
    return out;
  }

  async claimIdle(consumer: string, minIdleMs: number, count: number, cursor: string) {
    const out: StreamEntry[] = [];
    const now = Date.now();
    let next = "0-0";
    for (const entry of this.entries) {
      if (cursor !== "0-0" && cursor !== "0" && compareIds(entry.id, cursor) < 0) continue;
      const info = this.pending.get(entry.id);
      if (!info || now - info.deliveredAt < minIdleMs) continue;
      if (out.length >= count) {
        next = entry.id;
        break;
      }
      info.consumer = consumer;
      info.deliveries++;
      info.deliveredAt = now;
      out.push({ id: entry.id, payload: entry.payload, deliveries: info.deliveries });
    }
    return { next, entries: out };
  }

  async ack(ids: readonly string[]) {
    for (const id of ids) this.pending.delete(id);
  }

  async deadLetter(entry: StreamEntry, reason: string) {
    this.dead.push({
      id: this.makeId(),
      entryId: entry.id,
      payload: entry.payload,
      reason,
      deliveries: entry.deliveries,
    });
    this.pending.delete(entry.id);
  }

  async readDeadLetters(count: number, afterId?: string) {
    const start = afterId ? this.dead.findIndex((letter) => compareIds(letter.id, afterId) > 0) : 0;
    return start < 0 ? [] : this.dead.slice(start, start + count);
  }

  async deadLetterCount() {
    return this.dead.length;
  }

  async replayDeadLetter(id: string) {
    const letter = this.dead.find((candidate) => candidate.id === id);
    if (!letter) return false;
    await this.append(letter.payload);
    // Removed only once the append succeeded (a closed stream refuses it): a failed replay keeps the dead letter.
    const index = this.dead.indexOf(letter);
    if (index >= 0) this.dead.splice(index, 1);
    return true;
  }

  async dropDeadLetter(id: string) {
    const index = this.dead.findIndex((letter) => letter.id === id);
    if (index >= 0) this.dead.splice(index, 1);
    return index >= 0;
  }

  async trimAcknowledged() {
    let removable = 0;
    while (removable < this.nextUndelivered && !this.pending.has(this.entries[removable]!.id)) removable++;
    if (removable > 0) {
      this.entries = this.entries.slice(removable);
      this.nextUndelivered -= removable;
    }
    return removable;
  }

  async backlog() {
    return {
      length: this.entries.length,
      pending: this.pending.size,
      lag: this.entries.length - this.nextUndelivered,
    };
  }

  async oldestUnstoredId() {
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (i >= this.nextUndelivered || this.pending.has(entry.id)) return entry.id;
    }
    return null;
  }

  interruptReads() {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  async close() {
    this.closed = true;
    this.interruptReads();
  }
}
