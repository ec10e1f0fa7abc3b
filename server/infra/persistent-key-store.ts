/**
 * The key store of embedded mode: login state survives a restart, counters do not.
 *
 * Which keys persist is decided here and nowhere else (`isPersistedKey`): the daily visitor keys, and every key under `auth:` (sessions,
 * refresh-token ids, revocation tombstones, "valid after" markers, and whatever else the auth code keeps) is written
 * to the `auth_keys` table of the embedded database, except the prefixes in VOLATILE_PREFIXES. Those, and every key
 * outside `auth:` (rate-limit windows, worker slots, API-key change markers), live in memory only: they are
 * counters or last seconds, are written on hot paths, and losing them on a restart is harmless.
 *
 * Rules for the persisted keys:
 * - One process owns the data folder (server/db/client.ts holds a lock file), so nothing else writes the table. The
 *   store therefore keeps every live persisted key in memory too and answers reads from memory alone, as cheap as
 *   MemoryKeyStore on every dashboard request; the table is read once, when the store opens.
 * - Every write goes to the table first and reaches memory only after the table took it, and all writes run one at
 *   a time in one queue. So memory never holds a value the table lacks (what a request saw before a restart it sees
 *   after it: a revoked session stays revoked), a failed write changes nothing and rejects (callers fail closed),
 *   and take/increment/setIfAbsent are atomic.
 * - TTLs hold as in Redis: an expired key reads as absent, is skipped when loading, and expired rows are purged at
 *   open and every 1,000 writes.
 */
import { eq, gt, inArray, lte } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { authKeys } from "../db/schema/index.ts";
import { type KeyStore, MemoryKeyStore } from "./key-store.ts";

/** Keys under `auth:` that stay in memory: login-attempt counters (a write per attempt) and 30 s WebSocket tickets. */
// Every login-lockout key (per-IP counters, per-account hourly counters, the lockout epoch that names them) stays in
// one tier: they are written on every sign-in attempt and reference each other.
const VOLATILE_PREFIXES = ["auth:login-", "auth:ws-ticket:"] as const;

/**
 * The one prefix outside `auth:` that persists: the daily visitor keys (server/http/ingest/daily-visitor-id.ts),
 * written once a day, so that a restart keeps counting today's visitors under the same ids.
 */
const PERSISTED_OUTSIDE_AUTH = "visitor-key:";

/** Whether a key is kept across restarts. */
export function isPersistedKey(key: string): boolean {
  if (key.startsWith(PERSISTED_OUTSIDE_AUTH)) return true;
  return key.startsWith("auth:") && !VOLATILE_PREFIXES.some((prefix) => key.startsWith(prefix));
}

interface Entry {
  value: string;
  expiresAt: number;
}

const PURGE_EVERY_WRITES = 1_000;

export class PersistentKeyStore implements KeyStore {
  private readonly volatile = new MemoryKeyStore();
  private readonly entries = new Map<string, Entry>();
  private queue: Promise<unknown> = Promise.resolve();
  private writes = 0;

  private constructor(private readonly db: Database) {}

  /** Opens the store over the embedded database: purges expired rows, then loads the live ones. */
  static async open(db: Database): Promise<PersistentKeyStore> {
    const store = new PersistentKeyStore(db);
    const now = new Date();
    await db.delete(authKeys).where(lte(authKeys.expiresAt, now));
    const rows = await db.select().from(authKeys).where(gt(authKeys.expiresAt, now));
    for (const row of rows) store.entries.set(row.key, { value: row.value, expiresAt: row.expiresAt.getTime() });
    return store;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Runs writes one at a time, in call order, whether the previous one failed or not. */
  private serialized<T>(write: () => Promise<T>): Promise<T> {
    const run = this.queue.then(write, write);
    this.queue = run.catch(() => {});
    return run;
  }

  private async store(key: string, value: string, ttlMs: number): Promise<Entry> {
    const entry = { value, expiresAt: Date.now() + Math.max(1, Math.ceil(ttlMs)) };
    const expiresAt = new Date(entry.expiresAt);
    await this.db
      .insert(authKeys)
      .values({ key, value, expiresAt })
      .onConflictDoUpdate({ target: authKeys.key, set: { value, expiresAt } });
    this.entries.set(key, entry);
    if (++this.writes % PURGE_EVERY_WRITES === 0) await this.purgeExpired();
    return entry;
  }

  private async remove(keys: string[]): Promise<void> {
    await this.db.delete(authKeys).where(inArray(authKeys.key, keys));
    for (const key of keys) this.entries.delete(key);
  }

  private async purgeExpired(): Promise<void> {
    const now = Date.now();
    await this.db.delete(authKeys).where(lte(authKeys.expiresAt, new Date(now)));
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  async get(key: string) {
    if (!isPersistedKey(key)) return this.volatile.get(key);
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number) {
    if (!isPersistedKey(key)) return this.volatile.set(key, value, ttlMs);
    await this.serialized(() => this.store(key, value, ttlMs));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (!isPersistedKey(key)) return this.volatile.setIfAbsent(key, value, ttlMs);
    return this.serialized(async () => {
      if (this.live(key)) return false;
      await this.store(key, value, ttlMs);
      return true;
    });
  }

  async take(key: string) {
    if (!isPersistedKey(key)) return this.volatile.take(key);
    return this.serialized(async () => {
      const entry = this.live(key);
      if (!entry) return null;
      await this.remove([key]);
      return entry.value;
    });
  }

  async del(...keys: string[]) {
    const persisted = keys.filter(isPersistedKey);
    const volatile = keys.filter((key) => !isPersistedKey(key));
    if (volatile.length) await this.volatile.del(...volatile);
    if (persisted.length) await this.serialized(() => this.remove(persisted));
  }

  async increment(key: string, ttlMs: number) {
    if (!isPersistedKey(key)) return this.volatile.increment(key, ttlMs);
    return this.serialized(async () => {
      const entry = this.live(key);
      if (!entry) {
        await this.store(key, "1", ttlMs);
        return { value: 1, ttlMs };
      }
      const value = Number(entry.value) + 1;
      const remaining = entry.expiresAt - Date.now();
      await this.store(key, String(value), remaining);
      return { value, ttlMs: remaining };
    });
  }

  async ttl(key: string) {
    if (!isPersistedKey(key)) return this.volatile.ttl(key);
    const entry = this.live(key);
    return entry ? entry.expiresAt - Date.now() : null;
  }

  async ping() {
    await this.db.select({ key: authKeys.key }).from(authKeys).where(eq(authKeys.key, "")).limit(1);
  }
}
