/**
 * The ingest queue on a Redis Stream (see event-stream.ts for the contract and its invariants). Appends go through
 * RedisAppendBatcher (redis-append-batcher.ts) when the connection's options fit in a URL, plain XADDs otherwise.
 */
import type { Redis } from "ioredis";
import {
  CONSUMER_GROUP,
  compareIds,
  DEAD_LETTER_STREAM,
  type EventStream,
  INGEST_STREAM,
  type StreamEntry,
} from "./event-stream.ts";
import { nativeUrlOf, RedisAppendBatcher } from "./redis-append-batcher.ts";

type RawEntry = [id: string, fields: string[] | null];

function payloadOf(fields: string[] | null): string | null {
  if (!fields) return null;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === "d") return fields[i + 1]!;
  return null;
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
  private appender: RedisAppendBatcher | null;

  constructor({ redis, connectBlocking, prefix = "", appendUrl }: RedisEventStreamOptions) {
    this.redis = redis;
    this.connectBlocking = connectBlocking;
    this.key = prefix + INGEST_STREAM;
    this.deadKey = prefix + DEAD_LETTER_STREAM;
    const url = appendUrl === undefined ? nativeUrlOf(redis) : appendUrl;
    this.appender = url ? new RedisAppendBatcher(url, this.key) : null;
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
