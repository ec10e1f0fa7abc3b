import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Redis } from "ioredis";
import { type KeyStore, MemoryKeyStore, RedisKeyStore } from "../../infra/key-store.ts";
import { isPersistedKey } from "../../infra/persistent-key-store.ts";
import { createLogger } from "../../logger.ts";
import { loadTestServiceUrls } from "../../test-support/test-environment.ts";
import { DailyVisitorIds, visitorKeyName } from "./daily-visitor-id.ts";

const logger = createLogger("error");
const DAY = 86_400_000;
const PROJECT = "0193a0c0-0000-7000-8000-000000000001";
const OTHER_PROJECT = "0193a0c0-0000-7000-8000-000000000002";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const dayOf = (ms: number) => Math.floor(ms / DAY);

async function idOf(ids: DailyVisitorIds, now: number, ua = FIREFOX, ipHash = "ip-1", project = PROJECT) {
  return await ids.derive(project, ipHash, ua, now);
}

describe("DailyVisitorIds", () => {
  const now = Date.now();

  it("gives the same visitor the same short id all day, from the cache or not", async () => {
    const ids = new DailyVisitorIds(new MemoryKeyStore(), logger);
    const first = await idOf(ids, now);
    expect(first).toMatch(/^anon:[A-Za-z0-9_-]{22}$/);
    expect(await idOf(ids, now + 1_000)).toBe(first);
    // Answered without waiting once the day's key is known.
    expect(typeof ids.derive(PROJECT, "ip-1", FIREFOX, now)).toBe("string");
  });

  it("gives another user agent, IP hash or project another id", async () => {
    const ids = new DailyVisitorIds(new MemoryKeyStore(), logger);
    const first = await idOf(ids, now);
    const others = [
      await idOf(ids, now, CHROME),
      await idOf(ids, now, FIREFOX, "ip-2"),
      await idOf(ids, now, FIREFOX, "ip-1", OTHER_PROJECT),
      await idOf(ids, now, FIREFOX, null as unknown as string),
    ];
    expect(new Set([first, ...others]).size).toBe(5);
  });

  it("gives the same visitor a new id the next UTC day", async () => {
    const ids = new DailyVisitorIds(new MemoryKeyStore(), logger);
    const today = await idOf(ids, now);
    const tomorrow = await idOf(ids, now + DAY);
    expect(tomorrow).not.toBe(today);
    expect(await idOf(ids, now + DAY + 60_000)).toBe(tomorrow);
  });

  it("derives the same ids in every process sharing the key store", async () => {
    const store = new MemoryKeyStore();
    const a = new DailyVisitorIds(store, logger);
    const b = new DailyVisitorIds(store, logger);
    const [fromA, fromB] = await Promise.all([idOf(a, now), idOf(b, now)]);
    expect(fromB).toBe(fromA);
    // A process with a store of its own has another key, hence other ids: the key is random, not derived.
    expect(await idOf(new DailyVisitorIds(new MemoryKeyStore(), logger), now)).not.toBe(fromA);
  });

  it("keeps only today's and yesterday's keys", async () => {
    const store = new MemoryKeyStore();
    const ids = new DailyVisitorIds(store, logger);
    const day = dayOf(now);
    await idOf(ids, now);
    await idOf(ids, now + DAY);
    expect(await store.get(visitorKeyName(day))).not.toBeNull();
    expect(await store.get(visitorKeyName(day + 1))).not.toBeNull();
    await idOf(ids, now + 2 * DAY);
    expect(await store.get(visitorKeyName(day))).toBeNull();
    // The keys expire by themselves at the end of the next day too.
    const ttl = (await store.ttl(visitorKeyName(day + 2)))!;
    expect(ttl).toBeGreaterThan(DAY);
    expect(ttl).toBeLessThanOrEqual(3 * DAY);
  });

  it("counts under a key of its own while the store is down, and takes the shared one back later", async () => {
    let down = true;
    const store = new MemoryKeyStore();
    const failing: KeyStore = Object.assign(Object.create(store), {
      setIfAbsent: (...args: Parameters<KeyStore["setIfAbsent"]>) =>
        down ? Promise.reject(new Error("store down")) : store.setIfAbsent(...args),
    });
    const ids = new DailyVisitorIds(failing, logger);
    const during = await idOf(ids, now);
    expect(during).toMatch(/^anon:/);
    expect(await idOf(ids, now + 1_000)).toBe(during);
    down = false;
    await idOf(ids, now + 61_000 + 1_000);
    await Bun.sleep(10);
    const shared = await idOf(new DailyVisitorIds(store, logger), now);
    expect(await idOf(ids, now + 63_000)).toBe(shared);
  });

  it("persists the day keys in embedded mode, so a restart keeps today's ids", () => {
    expect(isPersistedKey(visitorKeyName(dayOf(now)))).toBe(true);
  });
});

describe("DailyVisitorIds over Redis", () => {
  let redis: Redis;
  const prefix = `ad_test:visitor-ids:${process.pid}:${Date.now()}:`;
  beforeAll(() => {
    redis = new Redis(loadTestServiceUrls().redis);
  });
  afterAll(async () => {
    // Only the key this test made, under its own prefix.
    await redis.del(prefix + visitorKeyName(dayOf(Date.now())));
    redis.disconnect();
  });

  it("shares one random day key between processes, expiring at the end of tomorrow", async () => {
    const now = Date.now();
    const a = new DailyVisitorIds(new RedisKeyStore(redis, prefix), logger);
    const b = new DailyVisitorIds(new RedisKeyStore(redis, prefix), logger);
    const [fromA, fromB] = await Promise.all([idOf(a, now), idOf(b, now)]);
    expect(fromB).toBe(fromA);
    const ttl = await redis.pttl(prefix + visitorKeyName(dayOf(now)));
    expect(ttl).toBeGreaterThan(DAY);
    expect(ttl).toBeLessThanOrEqual(2 * DAY);
  });
});
