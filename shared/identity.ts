/**
 * The identity contract: which events link an anonymous id to a person, where they name the previous id, and which
 * ids are refused as identities. Read by ingest (which fills in the request's own anonymous id) and by the worker
 * (which makes the links, server/pipeline/rollups/apply-person-links.ts); the README's privacy section documents it.
 * Zero dependencies, so the dashboard may import it too.
 */

/** Event names that identify: their distinct_id is the person's canonical id. */
export const IDENTIFY_EVENTS: ReadonlySet<string> = new Set(["identify", "$identify"]);

/** The identify event's property naming the previous (anonymous) id. */
export const ANON_ID_PROPERTY = "$anon_distinct_id";

/** Longest previous id a link accepts; a longer `$anon_distinct_id` stores the event without a link. */
export const MAX_ANON_ID_LENGTH = 200;

/**
 * Ids that name nobody (a template placeholder, a stringified null, a login form's field name), refused as identities
 * and as anonymous ids, compared after trimming and lower-casing: the event is stored, no link is made. The list
 * follows PostHog's ingestion, plus `nil` and `none`.
 */
export const PLACEHOLDER_IDS: ReadonlySet<string> = new Set([
  "",
  "anonymous",
  "guest",
  "distinctid",
  "distinct_id",
  "id",
  "not_authenticated",
  "email",
  "undefined",
  "null",
  "true",
  "false",
  "0",
  "nan",
  "none",
  "nil",
  "[object object]",
]);

/** Whether `id` is a placeholder (see PLACEHOLDER_IDS). */
export function isPlaceholderId(id: string): boolean {
  return PLACEHOLDER_IDS.has(id.trim().toLowerCase());
}

/** Prefix of the server's daily visitor ids (`anon:` + 22 base64url characters, 128 bits of an HMAC-SHA256). */
export const DAILY_ID_PREFIX = "anon:";
