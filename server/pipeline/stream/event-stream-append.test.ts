/**
 * The append side of the Redis event stream (redis-append-batcher.ts): entries go through Bun's native client on a
 * connection of their own, the appends of one turn of the event loop in one EVAL (ioredis when the connection
 * cannot be described by a URL). Each append must still be one entry with its own id or error, and the native path
 * must keep the contract ingest relies on to fall back to PostgreSQL: fail at once while Redis is away, give up after
 * 2 s on a Redis that does not answer, and come back by itself when Redis does.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { connectRedis } from "../../infra/redis.ts";
import { startPrivateRedis } from "../../test-support/private-redis.ts";
import { deleteRedisPrefix } from "../../test-support/services.ts";
import { loadTestServiceUrls } from "../../test-support/test-environment.ts";
import { nativeUrlOf } from "./redis-append-batcher.ts";
import { RedisEventStream } from "./redis-event-stream.ts";

const redisUrl = loadTestServiceUrls().redis;
const prefixes: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  for (const prefix of prefixes) await deleteRedisPrefix(redisUrl, prefix);
});

/** A stream as services.ts builds it: a fail-fast, auto-pipelined ioredis connection (ready, when Redis is up). */
async function streamOn(url: string, options: { appendUrl?: string | null } = {}): Promise<RedisEventStream> {
  const prefix = `ad_test:append:${Bun.randomUUIDv7()}:`;
  prefixes.push(prefix);
  const redis = connectRedis(url, { enableOfflineQueue: false, enableAutoPipelining: true });
  const stream = new RedisEventStream({ redis, prefix, ...options });
  cleanups.push(async () => {
    await stream.close();
    redis.disconnect();
  });
  await new Promise<void>((resolve) => {
    if (redis.status === "ready") return resolve();
    const timer = setTimeout(resolve, 1_000);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return stream;
}

const small = JSON.stringify({ v: 1, e: [["a", "page_view"]] });
/** Over the native path's threshold, with characters that are more than one UTF-8 byte. */
const large = JSON.stringify({ v: 1, e: Array.from({ length: 200 }, (_, i) => [`id-${i}`, "page_view", "é€😀"]) });

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [result] = await Promise.allSettled([run()]);
  return { ms: performance.now() - started, result: result! };
}

/** Whether an append succeeds again within `ms` (the client reconnects in the background). */
async function appendsAgainWithin(stream: RedisEventStream, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await timed(() => stream.append(large))).result.status === "fulfilled") return true;
    await Bun.sleep(100);
  }
  return false;
}

describe("RedisEventStream appends", () => {
  it("derives the native client's URL from the ioredis connection, and keeps ioredis for what a URL cannot carry", () => {
    const plain = connectRedis("redis://user:p%40ss@127.0.0.1:6390/3", { lazyConnect: true });
    const socket = connectRedis("/tmp/not-a-redis.sock", { lazyConnect: true });
    try {
      expect(nativeUrlOf(plain)).toBe("redis://user:p%40ss@127.0.0.1:6390/3");
      expect(nativeUrlOf(socket)).toBeNull();
    } finally {
      plain.disconnect();
      socket.disconnect();
    }
  });

  it("puts small and large entries, byte for byte, into the one stream the workers read", async () => {
    for (const appendUrl of [undefined, null]) {
      const stream = await streamOn(redisUrl, { appendUrl });
      await stream.ensureGroup();
      const ids = await Promise.all([stream.append(small), stream.append(large), stream.append(small)]);
      expect(new Set(ids).size).toBe(3);
      const entries = await stream.readNew("test", 10, 0);
      expect(entries.map((e) => e.payload).sort()).toEqual([large, small, small].sort());
    }
  });

  it("makes one entry per append when many are sent in the same turn, each with its own id", async () => {
    const stream = await streamOn(redisUrl);
    await stream.ensureGroup();
    const payloads = Array.from({ length: 600 }, (_, i) => (i % 3 ? `${small}-${i}` : `${large}-${i}`));
    const ids = await Promise.all(payloads.map((p) => stream.append(p)));
    expect(new Set(ids).size).toBe(payloads.length);
    const entries = await stream.readNew("test", 1_000, 0);
    expect(new Map(entries.map((e) => [e.id, e.payload]))).toEqual(new Map(ids.map((id, i) => [id, payloads[i]!])));
  });

  it("fails an append Redis refuses with its reason, and no other stream's", async () => {
    const { nativeUrl, key, redis } = await (async () => {
      const prefix = `ad_test:append:${Bun.randomUUIDv7()}:`;
      prefixes.push(prefix);
      const redis = connectRedis(redisUrl);
      cleanups.push(() => redis.disconnect());
      return { nativeUrl: nativeUrlOf(redis)!, key: prefix, redis };
    })();
    // Two streams on one prefix would share a key; here one stream's key holds a string instead (WRONGTYPE).
    const good = await streamOn(redisUrl);
    const bad = new RedisEventStream({ redis, prefix: key, appendUrl: nativeUrl });
    cleanups.push(() => bad.close());
    await redis.set(`${key}events:ingest`, "not a stream");
    const results = await Promise.allSettled([good.append(small), bad.append(small), good.append(large)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain("WRONGTYPE");
  });

  it("falls back to plain XADD through ioredis when Redis does not let it run scripts", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const admin = connectRedis(redis.url);
    cleanups.push(() => admin.disconnect());
    await admin.call("ACL", "SETUSER", "default", "-eval", "-evalsha");
    const stream = await streamOn(redis.url);
    await stream.ensureGroup();
    const ids = await Promise.all([stream.append(large), stream.append(small), stream.append(small)]);
    expect(new Set(ids).size).toBe(3);
    expect(typeof (await stream.append(large))).toBe("string");
    expect((await stream.readNew("test", 10, 0)).map((e) => e.payload).sort()).toEqual(
      [large, large, small, small].sort(),
    );
  });

  it("fails at once while Redis is away and appends again once it is back, without help", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const stream = await streamOn(redis.url);
    expect(typeof (await stream.append(large))).toBe("string");

    await redis.stop();
    for (let i = 0; i < 3; i++) {
      const { ms, result } = await timed(() => stream.append(large));
      expect(result.status).toBe("rejected");
      expect(ms).toBeLessThan(500);
    }

    await redis.start();
    expect(await appendsAgainWithin(stream, 15_000)).toBe(true);
  }, 30_000);

  it("connects once Redis comes up when it was away at the first append", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    await redis.stop();
    const stream = await streamOn(redis.url);
    const first = await timed(() => stream.append(large));
    expect(first.result.status).toBe("rejected");
    expect(first.ms).toBeLessThan(2_500);
    const next = await timed(() => stream.append(large));
    expect(next.result.status).toBe("rejected");
    expect(next.ms).toBeLessThan(100);

    await redis.start();
    expect(await appendsAgainWithin(stream, 15_000)).toBe(true);
  }, 30_000);

  it("gives up on an append after 2 s when Redis stops answering", async () => {
    const redis = await startPrivateRedis(["--enable-debug-command", "yes"]);
    cleanups.push(() => redis.stop());
    const stream = await streamOn(redis.url);
    expect(typeof (await stream.append(large))).toBe("string");

    const sleeper = connectRedis(redis.url, { commandTimeout: undefined });
    cleanups.push(() => sleeper.disconnect());
    const asleep = sleeper.call("DEBUG", "SLEEP", "4");
    await Bun.sleep(100);
    const { ms, result } = await timed(() => stream.append(large));
    expect(result.status).toBe("rejected");
    expect(ms).toBeGreaterThan(1_500);
    expect(ms).toBeLessThan(3_500);
    await asleep;
    expect(typeof (await stream.append(large))).toBe("string");
  }, 20_000);

  it("refuses appends once closed", async () => {
    const stream = await streamOn(redisUrl);
    expect(typeof (await stream.append(large))).toBe("string");
    await stream.close();
    expect((await timed(() => stream.append(large))).result.status).toBe("rejected");
  });
});
