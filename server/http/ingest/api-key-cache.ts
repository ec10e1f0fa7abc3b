/**
 * API key -> project, cached in process so ingest does not query PostgreSQL on every request.
 *
 * Freshness: an entry is trusted for `ttlMs` (4 s), so a rotated or deleted key stops working within 5 s even if the
 * change announcement is missed; announcements on `projects:keys` (server/auth/api-keys.ts) evict at once.
 * Availability: when PostgreSQL cannot be reached, a known key keeps working from its last lookup (up to
 * `staleMs`), so ingest goes on answering 202 from Redis during a database outage. An unknown key cannot be checked
 * then, and the caller answers 503.
 */
import { API_KEY_CHANGES_CHANNEL, type ApiKeyChange, hashApiKey } from "../../auth/api-keys.ts";
import type { Database } from "../../db/client.ts";
import type { PubSub } from "../../infra/pub-sub.ts";
import type { Logger } from "../../logger.ts";
import { findProjectByApiKeyHash } from "../../queries/projects/find-project-by-api-key-hash.ts";

export interface IngestProject {
  id: string;
  /** The site's domain when set: browser requests from other origins are refused. */
  domain: string | null;
}

interface Entry {
  project: IngestProject | null;
  fetchedAt: number;
  /** When the last refresh of this entry failed (the stale project is then served without retrying for a while). */
  failedAt?: number;
}

const LOOKUP_TIMEOUT_MS = 1_000;
const RETRY_AFTER_FAILURE_MS = 1_000;

export class KeyLookupUnavailable extends Error {
  constructor(cause: unknown) {
    super("The API key cannot be checked right now.", { cause });
    this.name = "KeyLookupUnavailable";
  }
}

export interface ApiKeyCacheOptions {
  db: Database;
  pubsub: PubSub;
  logger: Logger;
  ttlMs?: number;
  /** How long a known key stays usable while the database is unreachable. */
  staleMs?: number;
  /** How long an unknown key is remembered as unknown. */
  negativeTtlMs?: number;
  maxEntries?: number;
}

export class ApiKeyCache {
  private entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<IngestProject | null>>();
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly options: ApiKeyCacheOptions) {
    this.ttlMs = options.ttlMs ?? 4_000;
    this.staleMs = options.staleMs ?? 10 * 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 2_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Listens for key changes. Without the subscription, entries still expire after `ttlMs`. */
  async start(): Promise<void> {
    try {
      this.unsubscribe = await this.options.pubsub.subscribe(API_KEY_CHANGES_CHANNEL, (message) =>
        this.onChange(message),
      );
    } catch (error) {
      this.options.logger.warn("cannot subscribe to API key changes; relying on the cache's expiry", { error });
    }
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private onChange(message: string) {
    let change: Partial<ApiKeyChange>;
    try {
      change = JSON.parse(message) as Partial<ApiKeyChange>;
    } catch (error) {
      this.options.logger.warn("ignoring a malformed API key change message", { error });
      return;
    }
    for (const [key, entry] of this.entries) {
      if (entry.project && entry.project.id === change.projectId) this.entries.delete(key);
    }
  }

  /** The project of this key, or null when no project has it. Throws KeyLookupUnavailable when it cannot tell. */
  lookup(apiKey: string, now = Date.now()): IngestProject | null | Promise<IngestProject | null> {
    const entry = this.entries.get(apiKey);
    if (entry && now - entry.fetchedAt < (entry.project ? this.ttlMs : this.negativeTtlMs)) return entry.project;
    // The database failed us a moment ago: keep serving the stale project instead of waiting on it again.
    if (
      entry?.project &&
      entry.failedAt &&
      now - entry.failedAt < RETRY_AFTER_FAILURE_MS &&
      now - entry.fetchedAt < this.staleMs
    ) {
      return entry.project;
    }
    let pending = this.inFlight.get(apiKey);
    if (!pending) {
      pending = this.fetch(apiKey, entry).finally(() => this.inFlight.delete(apiKey));
      this.inFlight.set(apiKey, pending);
    }
    return pending;
  }

  private async fetch(apiKey: string, previous: Entry | undefined): Promise<IngestProject | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const row = await Promise.race([
        findProjectByApiKeyHash(this.options.db, hashApiKey(apiKey)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${LOOKUP_TIMEOUT_MS} ms`)), LOOKUP_TIMEOUT_MS);
        }),
      ]);
      const project = row ? { id: row.id, domain: row.domain } : null;
      if (this.entries.size >= this.maxEntries) this.entries = new Map();
      this.entries.set(apiKey, { project, fetchedAt: Date.now() });
      return project;
    } catch (error) {
      if (previous?.project && Date.now() - previous.fetchedAt < this.staleMs) {
        if (!previous.failedAt) {
          this.options.logger.warn("API key lookup failed; using the last known project", {
            error,
            projectId: previous.project.id,
          });
        }
        previous.failedAt = Date.now();
        return previous.project;
      }
      throw new KeyLookupUnavailable(error);
    } finally {
      clearTimeout(timer);
    }
  }
}
