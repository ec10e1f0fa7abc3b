/**
 * The stream entry format: one entry per accepted ingest request, written by ingest and read by the worker (and by
 * ingest itself on the direct-to-PostgreSQL path). What is the same for every event of a request (project, receipt
 * time, user agent and its parsed parts, IP hash) is written once. The events travel in one of two forms:
 *
 * - v2, the body as sent (the usual case): `{ "v": 2, <shared>, "g": idBase, "c": 0|1, "x": [rejected indexes],
 *   "q": <the request body> }`. The body is valid JSON (ingest parsed it), so it is embedded as it is and the entry
 *   stays one JSON document. Ingest validated it already to answer; the worker runs the same validation on it again
 *   (validateEvents is deterministic for the same receipt time, id base and cleaning flag) and checks that it keeps
 *   exactly the events ingest kept. This spares ingest re-serialising every event (a third of its CPU per 100-event
 *   request) at the cost of a cheap second validation in the worker, which parses a JSON entry either way.
 * - v1, validated tuples: `{ "v": 1, <shared>, "e": [[insertId, event, distinctId, sessionId, timestampMs, pageUrl,
 *   referrer, properties, path, host, referrerHost, utmSource, utmMedium, utmCampaign], ...] }`, for bodies that
 *   cannot travel as sent: larger than the per-event limit (events must then be measured one by one), or carrying
 *   the request's API key somewhere in its events (the key is never written to the stream, see cut-api-key.ts).
 *
 * <shared> is `"p": projectId, "r": receivedAtMs, "u": userAgent, "i": ipHash, "b": browser, "o": os, "d": device`,
 * `"l": country` (ISO alpha-2 or null; absent in entries written before countries, which then decode to null),
 * and `"a": anonId` when ingest derived the request's daily visitor id (BatchContext.anonId). Both forms decode to
 * the same rows; the events keep what the client sent, and the visitor id is filled in when decoding.
 */
import { ANON_ID_PROPERTY, IDENTIFY_EVENTS } from "../../../shared/identity.ts";
import { INGEST_LIMITS } from "../../../shared/ingest.ts";
import { parsePageUrl, parseReferrerHost, type UserAgentParts } from "../../http/ingest/enrich.ts";
import {
  checkEnvelope,
  type EventTuple,
  type RejectedEvent,
  validateEvents,
} from "../../http/ingest/validate-events.ts";
import type { EventRow } from "../store/store-events.ts";
import { bodyWithoutApiKey, redactApiKey } from "./cut-api-key.ts";

/** Entries of validated tuples. */
export const TUPLE_BATCH_VERSION = 1;
/** Entries holding the request body as sent. */
export const BODY_BATCH_VERSION = 2;

export interface BatchContext extends UserAgentParts {
  projectId: string;
  receivedAt: number;
  userAgent: string | null;
  ipHash: string | null;
  /** The client's country (ISO 3166-1 alpha-2) from its IP, or null; the IP itself never reaches the entry. */
  country: string | null;
  /**
   * The request's daily visitor id (server/http/ingest/daily-visitor-id.ts), when an event needs it: decoding makes
   * it the distinct_id of events sent without one, and the `$anon_distinct_id` of identify events that name none.
   */
  anonId?: string | null;
}

export interface EncodedBatch {
  /** The stream entry, or null when no event was left. */
  payload: string | null;
  /** How many events the entry holds. */
  count: number;
  /** Positions (in the tuples given) of events over the size limit, left out of the entry. */
  oversized: number[];
}

function utf8Length(text: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most events are cleared without counting.
  return text.length * 3 <= INGEST_LIMITS.maxEventBytes ? text.length : Buffer.byteLength(text, "utf8");
}

/** An accepted event's tuple with the URL parts breakdowns group by: the positional array of a v1 entry. */
function withUrlParts(tuple: EventTuple): unknown[] {
  const page = parsePageUrl(tuple[5]);
  return [
    tuple[0],
    tuple[1],
    tuple[2],
    tuple[3],
    tuple[4],
    tuple[5],
    tuple[6],
    tuple[7],
    page.path,
    page.host,
    parseReferrerHost(tuple[6]),
    page.utmSource,
    page.utmMedium,
    page.utmCampaign,
  ];
}

/**
 * Encodes a request's valid events into one v1 entry, leaving out events larger than the per-event limit: each
 * event is serialised on its own, which measures it. (Bodies within that limit usually travel as sent instead, see
 * encodeBodyBatch.) `apiKey`, the request's key, is replaced wherever it appears (cut-api-key.ts, rule 2).
 */
export function encodeEventBatch(
  context: BatchContext,
  tuples: readonly EventTuple[],
  apiKey: string | null = null,
): EncodedBatch {
  const parts: string[] = [];
  const oversized: number[] = [];
  for (let i = 0; i < tuples.length; i++) {
    const json = JSON.stringify(withUrlParts(tuples[i]!));
    if (utf8Length(json) > INGEST_LIMITS.maxEventBytes) {
      oversized.push(i);
      continue;
    }
    parts.push(json);
  }
  if (parts.length === 0) return { payload: null, count: 0, oversized };
  const payload = redactApiKey(entryText(context, TUPLE_BATCH_VERSION, `"e":[${parts.join(",")}]`), apiKey);
  return { payload, count: parts.length, oversized };
}

export interface RequestBody {
  /** The body's text, which JSON.parse accepted. */
  text: string;
  /** Its size in bytes. */
  bytes: number;
  /** Whether validation had to clean its strings (ValidateOptions.clean). */
  clean: boolean;
  /** The parsed body (checkEnvelope accepted it). */
  value: Record<string, unknown>;
  /** The API key the request was authenticated with (X-API-Key header or the body's `api_key`), if any. */
  apiKey: string | null;
  /** The id base validation derived insert ids from (ValidateOptions.idBase). */
  idBase: string;
}

/**
 * The v2 entry for a request whose body can travel as sent, or null when it cannot (then use encodeEventBatch):
 * - the body must be within the per-event size limit, so no event in it can be over it;
 * - the body's top-level `api_key` is cut out, in any spelling, and the request's key must not appear anywhere
 *   else in it (the rules are in cut-api-key.ts).
 */
export function encodeBodyBatch(
  context: BatchContext,
  body: RequestBody,
  rejected: readonly RejectedEvent[],
  accepted: number,
): EncodedBatch | null {
  if (accepted === 0 || body.bytes > INGEST_LIMITS.maxEventBytes) return null;
  const text = bodyWithoutApiKey(body.text, body.value, body.apiKey);
  // A re-serialised body can outgrow the text (`1e20` is written out in full): it must stay within the limit too.
  if (text === null || (text !== body.text && utf8Length(text) > INGEST_LIMITS.maxEventBytes)) return null;
  let skipped = "";
  for (const { index } of rejected) skipped += skipped ? `,${index}` : String(index);
  // The body holds no occurrence of the key now; of the shared fields, only the user agent is the client's text.
  const shared =
    body.apiKey !== null && context.userAgent?.includes(body.apiKey)
      ? { ...context, userAgent: redactApiKey(context.userAgent, body.apiKey) }
      : context;
  const payload = entryText(
    shared,
    BODY_BATCH_VERSION,
    `"g":${JSON.stringify(body.idBase)},"c":${body.clean ? 1 : 0},"x":[${skipped}],"q":${text}`,
  );
  return { payload, count: accepted, oversized: [] };
}

/** The entry: the shared fields, then the version's own. */
function entryText(context: BatchContext, version: number, events: string): string {
  return (
    `{"v":${version},"p":${JSON.stringify(context.projectId)},"r":${context.receivedAt},` +
    `"u":${JSON.stringify(context.userAgent)},"i":${JSON.stringify(context.ipHash)},` +
    `"b":${JSON.stringify(context.browser)},"o":${JSON.stringify(context.os)},"d":${JSON.stringify(context.device)},` +
    `"l":${JSON.stringify(context.country)},` +
    (context.anonId ? `"a":${JSON.stringify(context.anonId)},` : "") +
    `${events}}`
  );
}

const nullableString = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** Decodes a stream entry into rows for `storeEvents`; throws an Error naming the problem when it is malformed. */
export function decodeEventBatch(payload: string): EventRow[] {
  const batch = JSON.parse(payload) as Record<string, unknown>;
  if (typeof batch !== "object" || batch === null) throw new Error("entry is not a JSON object");
  if (batch.v !== TUPLE_BATCH_VERSION && batch.v !== BODY_BATCH_VERSION)
    throw new Error(`unknown entry version ${String(batch.v)}`);
  const projectId = batch.p;
  const receivedAt = batch.r;
  if (typeof projectId !== "string" || typeof receivedAt !== "number")
    throw new Error("entry lacks its project or receipt time");
  const list = batch.v === BODY_BATCH_VERSION ? revalidatedEvents(batch, receivedAt) : batch.e;
  if (!Array.isArray(list)) throw new Error("entry lacks its events");
  const received = new Date(receivedAt);
  const userAgent = nullableString(batch.u);
  const ipHash = nullableString(batch.i);
  const browser = nullableString(batch.b);
  const os = nullableString(batch.o);
  const device = nullableString(batch.d);
  const country = nullableString(batch.l);
  const anonId = nullableString(batch.a);
  const rows: EventRow[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as unknown[];
    if (!Array.isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "string" || typeof e[4] !== "number") {
      throw new Error(`event ${i} of the entry is malformed`);
    }
    let properties = (typeof e[7] === "object" && e[7] !== null ? e[7] : {}) as Record<string, unknown>;
    if (anonId !== null && IDENTIFY_EVENTS.has(e[1]) && properties[ANON_ID_PROPERTY] === undefined)
      properties = { ...properties, [ANON_ID_PROPERTY]: anonId };
    rows[i] = {
      projectId,
      insertId: e[0],
      eventName: e[1],
      distinctId: nullableString(e[2]) || anonId,
      sessionId: nullableString(e[3]),
      timestamp: new Date(e[4]),
      pageUrl: nullableString(e[5]),
      referrer: nullableString(e[6]),
      properties,
      path: nullableString(e[8]),
      host: nullableString(e[9]),
      referrerHost: nullableString(e[10]),
      utmSource: nullableString(e[11]),
      utmMedium: nullableString(e[12]),
      utmCampaign: nullableString(e[13]),
      userAgent,
      browser,
      os,
      device,
      ipHash,
      country,
      receivedAt: received,
    };
  }
  return rows;
}

/**
 * A v2 entry's events as v1 positional arrays: the body validated again as ingest did, keeping exactly the events
 * ingest kept. A disagreement (a body changed on the way, or validation rules changed between the ingest and worker
 * builds) fails the entry with the reason rather than store what the client was not told about.
 */
function revalidatedEvents(batch: Record<string, unknown>, receivedAt: number): unknown[][] {
  const envelope = checkEnvelope(batch.q);
  if (typeof envelope === "string") throw new Error(`the entry's body is not an ingest body: ${envelope}`);
  const skipped = batch.x;
  if (typeof batch.g !== "string" || !Array.isArray(skipped))
    throw new Error("entry lacks its id base or rejected events");
  const { accepted, acceptedIndexes, rejected } = validateEvents(envelope.events, {
    now: receivedAt,
    sentAt: envelope.sentAt,
    clean: batch.c === 1,
    idBase: batch.g,
  });
  const out: unknown[][] = [];
  let s = 0;
  for (let i = 0; i < accepted.length; i++) {
    const index = acceptedIndexes[i]!;
    while (s < skipped.length && (skipped[s] as number) < index) s++;
    if (skipped[s] === index) continue;
    out.push(withUrlParts(accepted[i]!));
  }
  if (out.length !== envelope.events.length - skipped.length) {
    const lost = rejected.find((r) => !skipped.includes(r.index));
    throw new Error(
      `the worker rejects event ${lost?.index ?? "?"} that ingest accepted: ${lost?.reason ?? "unknown"}`,
    );
  }
  return out;
}
