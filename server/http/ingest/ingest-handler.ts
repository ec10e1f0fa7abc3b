/**
 * `POST /api/v1/events/ingest`: validate, enrich, enqueue, answer. The database work is the worker's.
 *
 * Order of checks (cheapest refusal first, and nothing unbounded before a limit): content type (415), declared or
 * streamed size (413), JSON (400), envelope and event count (400/413), API key (401, 503 if it cannot be checked),
 * the project's domain against a browser's Origin (403), the per-project rate limit (429), the stream backlog (503),
 * then each event (kept, or listed in `rejected`). The 202 is sent only once the stream (or, when it cannot,
 * PostgreSQL) has the batch. When no event is kept the answer is 400 `all_events_rejected` with the same
 * `accepted`/`rejected` fields, so a backend client that only checks the status does not lose events unseen; one
 * kept event makes it a 202. Anything a client can send ends in a 2xx or 4xx; 503 means we could not store.
 *
 * It is a plain `(Request) => Response` function so it carries no framework cost per request; CORS is open (any
 * site may post, never with credentials) and added to every answer, errors included.
 */

import { IDENTIFY_EVENTS } from "../../../shared/identity.ts";
import { INGEST_LIMITS, type IngestRejectedResponse, type IngestResponse } from "../../../shared/ingest.ts";
import type { Config } from "../../env.ts";
import type { Logger } from "../../logger.ts";
import { type BatchContext, encodeBodyBatch, encodeEventBatch } from "../../pipeline/entry/event-batch.ts";
import { type EventQueue, QueueUnavailable } from "../../pipeline/sink/event-queue.ts";
import { API_SECURITY_HEADERS } from "../middleware/security-headers.ts";
import type { ApiKeyCache, IngestProject } from "./api-key-cache.ts";
import { KeyLookupUnavailable } from "./api-key-cache.ts";
import type { CountryLookup } from "./country-lookup.ts";
import type { DailyVisitorIds } from "./daily-visitor-id.ts";
import { type IpHasher, parseUserAgent } from "./enrich.ts";
import type { IngestRateLimiter } from "./rate-limiter.ts";
import { readBoundedText } from "./read-body.ts";
import {
  checkEnvelope,
  type EventTuple,
  needsCleaning,
  type RejectedEvent,
  validateEvents,
} from "./validate-events.ts";

export const INGEST_PATH = "/api/v1/events/ingest";

// The app's middleware does not run on the native route: the answers carry the API's security headers themselves.
const CORS_HEADERS = {
  ...API_SECURITY_HEADERS,
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "Retry-After",
} as const;

const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "Content-Type, X-API-Key",
  "access-control-max-age": "86400",
} as const;

const JSON_HEADERS = {
  ...CORS_HEADERS,
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

/**
 * The answers' headers as ready-made Headers objects: a Response copies a Headers object (changing the answer's
 * headers later leaves these alone), which costs ~0.5 µs against ~1.2 µs for building one from a plain object on
 * every request. Nothing may change these two; answers that need another header build their own.
 */
const PREFLIGHT_INIT: ResponseInit = { status: 204, headers: new Headers(PREFLIGHT_HEADERS) };
const ACCEPTED_INIT: ResponseInit = { status: 202, headers: new Headers(JSON_HEADERS) };

function errorResponse(status: number, code: string, message: string, retryAfter?: number): Response {
  const headers = new Headers(JSON_HEADERS);
  if (retryAfter !== undefined) headers.set("retry-after", String(retryAfter));
  return new Response(JSON.stringify({ error: { code, message } }), { status, headers });
}

/** The 202 body; the usual all-accepted answer is written directly (the same text JSON.stringify makes). */
function acceptedBody(accepted: number, rejected: RejectedEvent[]): string {
  if (rejected.length === 0) return `{"accepted":${accepted},"rejected":[]}`;
  const answer: IngestResponse = { accepted, rejected };
  return JSON.stringify(answer);
}

/** The 400 for a request whose every event was refused: the error shape plus the 202's fields. */
function allRejectedResponse(rejected: RejectedEvent[]): Response {
  const first = rejected[0]!;
  const message =
    rejected.length === 1
      ? `The event was rejected: ${first.reason}.`
      : `All ${rejected.length} events were rejected (the first, index ${first.index}: ${first.reason}).`;
  const answer = {
    error: { code: "all_events_rejected", message },
    accepted: 0,
    rejected,
  } satisfies IngestRejectedResponse;
  return new Response(JSON.stringify(answer), { status: 400, headers: new Headers(JSON_HEADERS) });
}

/** `application/json` or `text/plain` (what navigator.sendBeacon sends), any parameters. */
function isAcceptedContentType(header: string | null): boolean {
  if (!header) return false;
  const semicolon = header.indexOf(";");
  const type = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return type === "application/json" || type === "text/plain";
}

function hostOf(value: string): string | null {
  return URL.parse(value.includes("://") ? value : `https://${value}`)?.hostname.toLowerCase() || null;
}

/** True when a browser Origin belongs to the project's site: its host, or a subdomain (www. ignored on the domain). */
export function originMatchesDomain(origin: string, domain: string): boolean {
  const originHost = URL.parse(origin)?.hostname.toLowerCase();
  const domainHost = hostOf(domain)?.replace(/^www\./, "");
  if (!originHost || !domainHost) return false;
  return originHost === domainHost || originHost.endsWith(`.${domainHost}`);
}

export interface IngestHandlerDeps {
  config: Pick<Config, "INGEST_RATE_LIMIT_PER_MINUTE">;
  logger: Logger;
  keys: ApiKeyCache;
  limiter: IngestRateLimiter;
  queue: EventQueue;
  ipHasher: IpHasher;
  countries: CountryLookup;
  visitorIds: DailyVisitorIds;
}

export type IngestHandler = (request: Request, clientIp: string) => Promise<Response>;

export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  const { keys, limiter, queue, ipHasher, countries, visitorIds, logger } = deps;

  return async function ingest(request: Request, clientIp: string): Promise<Response> {
    if (request.method === "OPTIONS") return new Response(null, PREFLIGHT_INIT);
    if (request.method !== "POST") return errorResponse(405, "method_not_allowed", "Use POST.");

    if (!isAcceptedContentType(request.headers.get("content-type"))) {
      return errorResponse(415, "unsupported_media_type", "Send application/json (or text/plain holding JSON).");
    }

    let body: Awaited<ReturnType<typeof readBoundedText>>;
    try {
      body = await readBoundedText(request, INGEST_LIMITS.maxBodyBytes);
    } catch (error) {
      logger.debug("could not read an ingest body", { error });
      return errorResponse(400, "bad_request", "The request body could not be read.");
    }
    if (!body.ok)
      return errorResponse(body.status, body.status === 413 ? "payload_too_large" : "bad_request", body.message);
    const receivedAt = Date.now();

    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      return errorResponse(400, "invalid_json", "The body is not valid JSON.");
    }
    const envelope = checkEnvelope(parsed);
    if (typeof envelope === "string") return errorResponse(400, "invalid_body", envelope);
    if (envelope.events.length > INGEST_LIMITS.maxEvents) {
      return errorResponse(413, "too_many_events", `At most ${INGEST_LIMITS.maxEvents} events per request.`);
    }

    const apiKey = request.headers.get("x-api-key") || envelope.apiKey;
    if (!apiKey) return errorResponse(401, "unauthorized", "Send the project's API key in X-API-Key (or api_key).");
    let project: IngestProject | null;
    try {
      // Usually answered from the cache without a promise: awaiting only a real lookup saves a microtask turn.
      const found = keys.lookup(apiKey, receivedAt);
      project = found instanceof Promise ? await found : found;
    } catch (error) {
      if (error instanceof KeyLookupUnavailable) {
        return errorResponse(503, "unavailable", "The API key cannot be checked right now.", 5);
      }
      throw error;
    }
    if (!project) return errorResponse(401, "unauthorized", "Unknown API key.");

    const origin = request.headers.get("origin");
    if (origin !== null && project.domain && !originMatchesDomain(origin, project.domain)) {
      return errorResponse(403, "forbidden_origin", "This project accepts events from its own site only.");
    }

    const retryAfter = limiter.take(project.id, envelope.events.length, receivedAt);
    if (retryAfter > 0) {
      return errorResponse(
        429,
        "rate_limited",
        `Too many events for this project. Try again in ${retryAfter} s.`,
        retryAfter,
      );
    }
    if (queue.isOverloaded(receivedAt)) {
      return errorResponse(503, "unavailable", "Too many events are waiting to be stored.", 5);
    }

    const clean = needsCleaning(body.text);
    const idBase = Bun.randomUUIDv7();
    const { accepted, acceptedIndexes, rejected } = validateEvents(envelope.events, {
      now: receivedAt,
      sentAt: envelope.sentAt,
      clean,
      idBase,
    });

    let acceptedCount = 0;
    if (accepted.length > 0) {
      const userAgent = request.headers.get("user-agent");
      const ipHash = clientIp === "unknown" ? null : ipHasher.hash(clientIp, receivedAt);
      let anonId: string | null = null;
      if (needsVisitorId(accepted)) {
        const derived = visitorIds.derive(project.id, ipHash, userAgent, receivedAt);
        anonId = typeof derived === "string" ? derived : await derived;
      }
      const context: BatchContext = {
        projectId: project.id,
        receivedAt,
        userAgent,
        ipHash,
        country: countries.country(clientIp),
        anonId,
        ...parseUserAgent(userAgent),
      };
      const encoded =
        encodeBodyBatch(
          context,
          { text: body.text, bytes: body.bytes, clean, value: parsed as Record<string, unknown>, apiKey, idBase },
          rejected,
          accepted.length,
        ) ?? encodeEventBatch(context, accepted, apiKey);
      if (encoded.oversized.length) {
        for (const position of encoded.oversized) {
          rejected.push({
            index: acceptedIndexes[position]!,
            reason: `larger than ${INGEST_LIMITS.maxEventBytes} bytes`,
          });
        }
        rejected.sort(byIndex);
      }
      if (encoded.payload) {
        try {
          await queue.enqueue(encoded.payload);
        } catch (error) {
          if (error instanceof QueueUnavailable) {
            return errorResponse(503, "unavailable", error.message, error.retryAfterSeconds);
          }
          throw error;
        }
        acceptedCount = encoded.count;
      }
    }

    if (acceptedCount === 0) return allRejectedResponse(rejected);
    return new Response(acceptedBody(acceptedCount, rejected), ACCEPTED_INIT);
  };
}

/**
 * Whether an event is counted under the request's daily visitor id: one without a distinct_id, or an identify event,
 * whose previous id it is unless the event names one (the decoder fills both in, event-batch.ts).
 */
function needsVisitorId(events: readonly EventTuple[]): boolean {
  for (const event of events) if (!event[2] || IDENTIFY_EVENTS.has(event[1])) return true;
  return false;
}

function byIndex(a: RejectedEvent, b: RejectedEvent) {
  return a.index - b.index;
}
