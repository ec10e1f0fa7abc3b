/**
 * Short-lived keys (token revocation, login lockout counters, rate-limit windows, WebSocket tickets, API-key cache
 * invalidation). Redis when REDIS_URL is set, a Map otherwise; all behave the same for these calls. In embedded mode
 * (PGlite) PersistentKeyStore (persistent-key-store.ts) also keeps the login keys in the data folder.
 * Every method rejects when the backing store is unreachable: callers choose to fail closed or open.
 */
import type { Redis } from "ioredis";

export interface KeyStore {
  get(key: string): Promise<string | null>;
  /** Sets a key that expires after `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets the key only if absent; returns whether it was set. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Reads and deletes in one step, so two callers can never both take the same value. */
  take(key: string): Promise<string | null>;
  del(...keys: string[]): Promise<void>;
  /** Increments atomically; the expiry is set when the key is created and left alone afterwards. */
  increment(key: string, ttlMs: number): Promise<{ value: number; ttlMs: number }>;
  /** Remaining time to live in ms, or null when the key does not exist. */
  ttl(key: string): Promise<number | null>;
  ping(): Promise<void>;
}

const INCREMENT_SCRIPT = `
local value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {value, ttl}`;

export class RedisKeyStore implements KeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "",
  ) {}

  private k(key: string) {
    return this.prefix + key;
  }

  async get(key: string) {
    return this.redis.get(this.k(key));
  }

  async set(key: string, value: string, ttlMs: number) {
    await this.redis.set(this.k(key), value, "PX", Math.max(1, Math.ceil(ttlMs)));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    return (await this.redis.set(this.k(key), value, "PX", Math.max(1, Math.ceil(ttlMs)), "NX")) === "OK";
  }

  async take(key: string) {
    return this.redis.getdel(this.k(key));
  }

  async del(...keys: string[]) {
    if (keys.length) await this.redis.del(...keys.map((key) => this.k(key)));
  }

  async increment(key: string, ttlMs: number) {
    const [value, ttl] = (await this.redis.eval(INCREMENT_SCRIPT, 1, this.k(key), Math.ceil(ttlMs))) as [
      number,
      number,
    ];
    return { value, ttlMs: ttl };
  }

  async ttl(key: string) {
    const ms = await this.redis.pttl(this.k(key));
    return ms < 0 ? null : ms;
  }

  async ping() {
    await this.redis.ping();
  }
}

export class MemoryKeyStore implements KeyStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private sweeps = 0;

  private live(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  // Expired keys are dropped when read; every 1,000 writes we also sweep, so unread keys cannot pile up.
  private write(key: string, value: string, ttlMs: number) {
    this.entries.set(key, { value, expiresAt: Date.now() + Math.max(1, ttlMs) });
    if (++this.sweeps % 1_000 === 0) {
      const now = Date.now();
      for (const [k, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(k);
    }
  }

  async get(key: string) {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number) {
    this.write(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.live(key)) return false;
    this.write(key, value, ttlMs);
    return true;
  }

  async take(key: string) {
    const entry = this.live(key);
    this.entries.delete(key);
    return entry?.value ?? null;
  }

  async del(...keys: string[]) {
    for (const key of keys) this.entries.delete(key);
  }

  async increment(key: string, ttlMs: number) {
    const entry = this.live(key);
    if (!entry) {
      this.write(key, "1", ttlMs);
      return { value: 1, ttlMs };
    }
    const value = Number(entry.value) + 1;
    entry.value = String(value);
    return { value, ttlMs: entry.expiresAt - Date.now() };
  }

  async ttl(key: string) {
    const entry = this.live(key);
    return entry ? entry.expiresAt - Date.now() : null;
  }

  async ping() {}
}
