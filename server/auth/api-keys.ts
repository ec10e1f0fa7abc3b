/**
 * Project API keys: `proj_` + base64url of 32 random bytes. Only the SHA-256 (hex) is stored, with a short display
 * prefix; the full key leaves the server once, in the answer to projects.create or projects.rotateKey.
 *
 * The ingest path looks keys up by `hashApiKey(key)` (see server/queries/projects/find-project-by-api-key-hash.ts)
 * and may cache lookups in process for a few seconds. When a key stops being valid (rotation, project deleted)
 * `announceApiKeyChange` tells every process, in two ways so a cache can use either:
 *   - pub/sub channel `projects:keys` (API_KEY_CHANGES_CHANNEL): a JSON `ApiKeyChange` message, for caches that
 *     subscribe once per process and evict the old hash at once;
 *   - key-store key `apikey:rotated:<projectId>` (apiKeyChangedKey): the change time in ms, kept 10 minutes, for
 *     callers that prefer to check a marker.
 * The database is the source of truth either way: after the change the old hash matches no row.
 */

import { API_KEY_PREFIX } from "../../shared/projects.ts";
import type { Services } from "../services.ts";

export const API_KEY_CHANGES_CHANNEL = "projects:keys";
const CHANGE_MARKER_TTL_MS = 10 * 60 * 1000;
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export interface ApiKeyChange {
  projectId: string;
  /** The hash that no longer identifies the project. */
  oldApiKeyHash: string;
  reason: "rotated" | "deleted";
}

/** The key-store key marking that a project's API key changed (value: the change time in ms). */
export function apiKeyChangedKey(projectId: string): string {
  return `apikey:rotated:${projectId}`;
}

/** SHA-256 of an API key, hex: the only form in which keys are stored and looked up. */
export function hashApiKey(apiKey: string): string {
  return new Bun.CryptoHasher("sha256").update(apiKey).digest("hex");
}

/** A new random API key with its hash and display prefix. */
export function generateApiKey(): { apiKey: string; apiKeyHash: string; apiKeyPrefix: string } {
  const apiKey = API_KEY_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  return { apiKey, apiKeyHash: hashApiKey(apiKey), apiKeyPrefix: apiKey.slice(0, DISPLAY_PREFIX_LENGTH) };
}

/**
 * Tells every process that a key stopped being valid. The change is already committed, and ingest caches expire
 * within seconds on their own, so a failure to announce is logged rather than failing the user's call.
 */
export async function announceApiKeyChange(services: Services, change: ApiKeyChange): Promise<void> {
  const results = await Promise.allSettled([
    services.kv.set(apiKeyChangedKey(change.projectId), String(Date.now()), CHANGE_MARKER_TTL_MS),
    services.pubsub.publish(API_KEY_CHANGES_CHANNEL, JSON.stringify(change)),
  ]);
  for (const result of results) {
    if (result.status === "rejected") {
      services.logger.warn("could not announce an API key change; ingest caches will expire on their own", {
        error: result.reason,
        projectId: change.projectId,
        reason: change.reason,
      });
    }
  }
}
