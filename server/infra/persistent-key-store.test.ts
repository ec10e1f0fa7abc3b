/**
 * The embedded key store over a real PGlite folder: persisted keys survive closing and reopening the database with
 * their TTLs, volatile keys (counters, tickets, anything outside `auth:`) do not, and the atomic operations stay
 * atomic.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type DatabaseHandle, openDatabase } from "../db/client.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { isPersistedKey, PersistentKeyStore } from "./persistent-key-store.ts";

const HOOK_TIMEOUT_MS = 60_000;

let dataDir: string;
let handle: DatabaseHandle | null = null;

async function reopen(): Promise<PersistentKeyStore> {
  await handle?.close();
  handle = await openDatabase({ dataDir, poolSize: 1 });
  await migrateDatabase(handle);
  return PersistentKeyStore.open(handle.db);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "ad-keystore-"));
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await handle?.close();
  await rm(dataDir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

describe("isPersistedKey", () => {
  it("keeps login state and leaves counters and tickets in memory", () => {
    expect(isPersistedKey("auth:session:abc")).toBe(true);
    expect(isPersistedKey("auth:session-ended:abc")).toBe(true);
    expect(isPersistedKey("auth:refresh:jti")).toBe(true);
    expect(isPersistedKey("auth:user-valid-after:u")).toBe(true);
    expect(isPersistedKey("auth:login-attempts:digest")).toBe(false);
    expect(isPersistedKey("auth:ws-ticket:digest")).toBe(false);
    expect(isPersistedKey("ratelimit:login:1.2.3.4:42")).toBe(false);
    expect(isPersistedKey("worker:slot:host:1")).toBe(false);
  });
});

describe("PersistentKeyStore", () => {
  it("keeps persisted keys with their expiry across a reopen, and forgets volatile ones", async () => {
    let kv = await reopen();
    await kv.set("auth:session:a", "alive", 60_000);
    await kv.set("auth:session:short", "soon gone", 300);
    await kv.set("auth:refresh:j1", "a", 60_000);
    await kv.del("auth:refresh:j1");
    await kv.increment("ratelimit:x:1", 60_000);
    await kv.set("auth:ws-ticket:t", "grant", 60_000);
    const ttlBefore = (await kv.ttl("auth:session:a"))!;

    kv = await reopen();
    expect(await kv.get("auth:session:a")).toBe("alive");
    const ttlAfter = (await kv.ttl("auth:session:a"))!;
    expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
    expect(ttlAfter).toBeGreaterThan(50_000);
    expect(await kv.get("auth:refresh:j1")).toBeNull();
    expect(await kv.get("ratelimit:x:1")).toBeNull();
    expect(await kv.get("auth:ws-ticket:t")).toBeNull();
    await Bun.sleep(350);
    expect(await kv.get("auth:session:short")).toBeNull();
    kv = await reopen();
    expect(await kv.get("auth:session:short")).toBeNull();
    expect(await kv.get("auth:session:a")).toBe("alive");
  }, 60_000);

  it("lets exactly one of many concurrent takes have a value, and the taken key stays taken after a reopen", async () => {
    let kv = await reopen();
    await kv.set("auth:refresh:once", "sid", 60_000);
    const taken = await Promise.all(Array.from({ length: 20 }, () => kv.take("auth:refresh:once")));
    expect(taken.filter((value) => value !== null)).toEqual(["sid"]);
    kv = await reopen();
    expect(await kv.take("auth:refresh:once")).toBeNull();
  }, 60_000);

  it("counts concurrent increments and first-writer-wins setIfAbsent exactly", async () => {
    let kv = await reopen();
    const values = await Promise.all(Array.from({ length: 30 }, () => kv.increment("auth:counter", 60_000)));
    expect(values.map((v) => v.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const wins = await Promise.all(
      Array.from({ length: 10 }, (_, i) => kv.setIfAbsent("auth:first", String(i), 60_000)),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    const winner = await kv.get("auth:first");
    kv = await reopen();
    expect(await kv.get("auth:counter")).toBe("30");
    expect(await kv.get("auth:first")).toBe(winner);
  }, 60_000);
});
