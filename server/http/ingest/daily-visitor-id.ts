/**
 * The daily visitor id: what an event without a distinct_id is counted under (the README's privacy section).
 *
 * `anon:` + 22 base64url characters: the first 128 bits of HMAC-SHA256(day key, project id, IP hash, user agent),
 * as Plausible derives its visitor ids. The same browser on the same network is one visitor for a UTC day and a new
 * one the next; nothing is stored on the client, and the IP enters only through its daily hash (enrich.ts), which
 * is not kept in the id.
 *
 * The day key is random, made by whichever API process needs it first and shared through the key store (Redis in
 * production, the embedded data folder in embedded mode) under `visitor-key:<date>`, so every process derives the
 * same ids. It expires at the end of the next UTC day, and the key of the day before yesterday is deleted on the
 * first use of a new day: only today's and yesterday's keys exist, so an id cannot be recomputed, nor two days'
 * visitors re-linked, once its day is over (the random key, unlike one derived from SECRET_KEY, cannot be re-made).
 *
 * Hot path: the key and the ids of recently seen (project, IP hash, user agent) are cached in memory for the day, so
 * a request costs a map lookup; only the first request of a day (per process) waits for the key store. When the
 * store cannot be reached, a process-local random key stands in (ids then differ between processes, and from the
 * shared key's once it is read again after RETRY_MS): counting is less exact for that while, privacy is not weaker.
 */
import { createHmac, randomBytes } from "node:crypto";
import { DAILY_ID_PREFIX } from "../../../shared/identity.ts";
import type { KeyStore } from "../../infra/key-store.ts";
import type { Logger } from "../../logger.ts";
import { BoundedCache } from "./enrich.ts";

const DAY_MS = 86_400_000;
const RETRY_MS = 60_000;
/** Key-store prefix of the day keys (persisted in embedded mode, see persistent-key-store.ts). */
export const VISITOR_KEY_PREFIX = "visitor-key:";

const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The store key holding the day key of `day` (days since the epoch, UTC). */
export function visitorKeyName(day: number): string {
  return VISITOR_KEY_PREFIX + dateOf(day);
}

export class DailyVisitorIds {
  private day = Number.NaN;
  private key: Buffer | null = null;
  /** When a stand-in key was taken (0: the key is the shared one); the store is asked again RETRY_MS later. */
  private fallbackAt = 0;
  private loading: Promise<Buffer> | null = null;
  private readonly ids = new BoundedCache<string>(10_000);

  constructor(
    private readonly store: KeyStore,
    private readonly logger: Logger,
    private readonly timeoutMs = 2_000,
  ) {}

  /** The visitor id of this request; a promise only while the day's key is being read. */
  derive(projectId: string, ipHash: string | null, userAgent: string | null, nowMs: number): string | Promise<string> {
    const day = Math.floor(nowMs / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.key = null;
      this.fallbackAt = 0;
      this.ids.clear();
      this.load(day, nowMs);
    } else if (this.fallbackAt && nowMs - this.fallbackAt > RETRY_MS && !this.loading) {
      // In the background: the stand-in key serves meanwhile.
      this.load(day, nowMs);
    }
    const input = `${projectId}\n${ipHash ?? ""}\n${userAgent ?? ""}`;
    if (this.key) return this.idOf(this.key, input);
    return this.loading!.then((key) => this.idOf(key, input));
  }

  private idOf(key: Buffer, input: string): string {
    const current = key === this.key;
    const cached = current ? this.ids.get(input) : undefined;
    if (cached) return cached;
    const id = DAILY_ID_PREFIX + createHmac("sha256", key).update(input).digest().subarray(0, 16).toString("base64url");
    return current ? this.ids.set(input, id) : id;
  }

  private load(day: number, nowMs: number): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    const loading = Promise.race([this.sharedKey(day, nowMs), timeout]).then(
      (key) => {
        if (this.day === day) {
          if (this.key) this.ids.clear();
          this.key = key;
          this.fallbackAt = 0;
        }
        return key;
      },
      (error: unknown) => {
        this.logger.warn("the daily visitor key cannot be read: this process uses its own key until it can", { error });
        if (this.day !== day) return randomBytes(32);
        this.key ??= randomBytes(32);
        this.fallbackAt = nowMs;
        return this.key;
      },
    );
    this.loading = loading;
    void loading.finally(() => {
      clearTimeout(timer);
      if (this.loading === loading) this.loading = null;
    });
  }

  /** Today's key from the store, made here if no process made it yet; yesterday's is left, older ones deleted. */
  private async sharedKey(day: number, nowMs: number): Promise<Buffer> {
    const name = visitorKeyName(day);
    const ttlMs = (day + 2) * DAY_MS - nowMs;
    await this.store.setIfAbsent(name, randomBytes(32).toString("hex"), ttlMs);
    const value = await this.store.get(name);
    if (!value) throw new Error(`${name} vanished right after it was set`);
    await this.store.del(visitorKeyName(day - 2));
    return Buffer.from(value, "hex");
  }
}
