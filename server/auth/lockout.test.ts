/**
 * The lockout's counting rules over both key stores (Redis for replicas, the in-process one in embedded mode), without
 * the per-IP request limit that shields the login procedure: parallel attempts are raced here directly.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { type KeyStore, MemoryKeyStore, RedisKeyStore } from "../infra/key-store.ts";
import { connectRedis } from "../infra/redis.ts";
import { deleteRedisPrefix } from "../test-support/services.ts";
import { loadTestServiceUrls } from "../test-support/test-environment.ts";
import {
  beginLoginAttempt,
  clearLoginAttempts,
  LOCKOUT_MS,
  type LoginAttempt,
  MAX_ACCOUNT_FAILURES_PER_HOUR,
  MAX_FAILED_LOGINS,
  recordFailedLogin,
  recordSuccessfulLogin,
} from "./lockout.ts";

const redisUrl = loadTestServiceUrls().redis;
const prefixes: string[] = [];
const connections: Array<{ disconnect(): void }> = [];

afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  for (const prefix of prefixes) await deleteRedisPrefix(redisUrl, prefix);
});

function redisStore(): KeyStore {
  const prefix = `ad_test:lockout:${Bun.randomUUIDv7()}:`;
  prefixes.push(prefix);
  const redis = connectRedis(redisUrl);
  connections.push(redis);
  return new RedisKeyStore(redis, prefix);
}

const email = () => `lock-${Bun.randomUUIDv7()}@example.test`;

/** One attempt that fails its password check, as the login procedure records it. */
async function fail(kv: KeyStore, address: string, ip: string): Promise<LoginAttempt> {
  const attempt = await beginLoginAttempt(kv, address, ip);
  if (attempt.allowed) await recordFailedLogin(kv, attempt);
  return attempt;
}

for (const [name, make] of [
  ["Redis", redisStore],
  ["memory", () => new MemoryKeyStore()],
] as const) {
  describe(`login lockout (${name} key store)`, () => {
    it("lets exactly 5 of 50 parallel attempts from one IP through, and locks that IP for 15 minutes", async () => {
      const kv = make();
      const address = email();
      const attempts = await Promise.all(Array.from({ length: 50 }, () => fail(kv, address, "203.0.113.1")));
      expect(attempts.filter((a) => a.allowed)).toHaveLength(MAX_FAILED_LOGINS);
      const locked = await beginLoginAttempt(kv, address, "203.0.113.1");
      expect(locked).toMatchObject({ allowed: false, lockedBy: "ip" });
      if (!locked.allowed) expect(locked.retryAfterMs).toBeGreaterThan(LOCKOUT_MS - 60_000);
    });

    it("locks that IP only, whatever the case of the address", async () => {
      const kv = make();
      const address = email();
      for (let i = 0; i < 6; i++) await fail(kv, address, "203.0.113.1");
      expect((await beginLoginAttempt(kv, address, "198.51.100.7")).allowed).toBe(true);
      expect((await beginLoginAttempt(kv, address.toUpperCase(), "203.0.113.1")).allowed).toBe(false);
    });

    it("caps the account at 50 failures an hour across IPs, never counting attempts a locked IP made", async () => {
      const kv = make();
      const address = email();
      // One IP hammering alone cannot reach the account-wide cap.
      for (let i = 0; i < 100; i++) await fail(kv, address, "203.0.113.1");
      expect((await beginLoginAttempt(kv, address, "198.51.100.1")).allowed).toBe(true);
      // 5 + 1 attempts so far; of 60 parallel ones from fresh IPs, exactly the 44 that fill the 50 get through.
      const spread = await Promise.all(Array.from({ length: 60 }, (_, i) => fail(kv, address, `10.0.0.${i}`)));
      expect(spread.filter((a) => a.allowed)).toHaveLength(MAX_ACCOUNT_FAILURES_PER_HOUR - MAX_FAILED_LOGINS - 1);
      const fresh = await beginLoginAttempt(kv, address, "192.0.2.99");
      expect(fresh).toMatchObject({ allowed: false, lockedBy: "account" });
      if (!fresh.allowed) expect(fresh.retryAfterMs).toBeLessThanOrEqual(60 * 60 * 1000);
      // Another account is not affected.
      expect((await beginLoginAttempt(kv, email(), "192.0.2.99")).allowed).toBe(true);
    });

    it("does not count successes against the account's hour", async () => {
      const kv = make();
      const address = email();
      for (let i = 0; i < MAX_ACCOUNT_FAILURES_PER_HOUR + 10; i++) {
        const attempt = await beginLoginAttempt(kv, address, `10.1.0.${i % 3}`);
        expect(attempt.allowed).toBe(true);
        if (attempt.allowed) await recordSuccessfulLogin(kv, attempt);
      }
    });

    it("clears the locks of every IP and the account's hour when the password is reset", async () => {
      const kv = make();
      const address = email();
      for (let ip = 0; ip < 10; ip++) for (let i = 0; i < 6; i++) await fail(kv, address, `10.2.0.${ip}`);
      expect((await beginLoginAttempt(kv, address, "10.2.0.3")).allowed).toBe(false);
      expect((await beginLoginAttempt(kv, address, "10.2.0.99")).allowed).toBe(false);
      await clearLoginAttempts(kv, address);
      expect((await beginLoginAttempt(kv, address, "10.2.0.3")).allowed).toBe(true);
      expect((await beginLoginAttempt(kv, address, "10.2.0.99")).allowed).toBe(true);
    });
  });
}
