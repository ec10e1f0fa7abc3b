/**
 * The ingest contract: the body of `POST /api/v1/events/ingest` and its answer. Seed-compatible (snake_case).
 * Depended on by the server's ingest route (validation, per-event rejection reasons and the OpenAPI document), the
 * browser SDK (types only, so zod never reaches the snippet) and anyone posting from a backend. Changing a field name
 * breaks deployed snippets.
 *
 * The server checks every event against `ingestEventSchema`'s rules with a hand-compiled validator on the hot path
 * (zod on each of 100 events per request costs more than the whole rest of ingest); a conformance test keeps the two
 * in agreement, and zod still produces the human-readable reason whenever an event is rejected.
 */
import { z } from "zod";

export const INGEST_LIMITS = {
  /** Whole request body, counted while it is read. */
  maxBodyBytes: 1024 * 1024,
  maxEvents: 100,
  /** One event as UTF-8 JSON. */
  maxEventBytes: 32 * 1024,
  maxEventNameLength: 200,
  maxIdLength: 200,
  maxUrlLength: 4096,
  maxInsertIdLength: 128,
  maxPropertyKeys: 255,
  /** Levels of nesting inside `properties` (a flat object is depth 1). */
  maxPropertyDepth: 10,
  /** Timestamps further ahead than this (after skew correction) are set to the time of receipt. */
  maxFutureMs: 23 * 60 * 60 * 1000,
  /** Timestamps older than this are refused, per event. */
  maxPastMs: 365 * 24 * 60 * 60 * 1000,
  /** With `sent_at`, a client clock off by more than this is corrected; within it, timestamps are kept as sent. */
  clockSkewDeadbandMs: 150 * 1000,
} as const;

/**
 * The timestamp rule (events' `timestamp` and the batch's `sent_at`): an ISO 8601 date-time with seconds, any
 * fraction, and an offset (`Z` or `+hh:mm`) or none, which means UTC: `2026-05-01T12:30:00.000Z`,
 * `2026-05-01T14:30:00+02:00` and `2026-05-01T12:30:00` (what Python's `datetime.utcnow().isoformat()` writes) are
 * the same instant. A date alone, a time without seconds, or `+hhmm` is refused. zod's local date-time form also
 * lets seconds be left out; the lookahead requires them, so every accepted value has them at fixed positions.
 */
export const ISO_TIMESTAMP_PATTERN = new RegExp(
  `^(?=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:)${z.regexes.datetime({ offset: true, local: true }).source.slice(1)}`,
);
export const TIMESTAMP_RULE =
  "an ISO 8601 date-time with seconds, e.g. 2026-05-01T12:30:00Z (without an offset it is UTC)";
export const isoTimestampSchema = z.string().regex(ISO_TIMESTAMP_PATTERN, { message: `Use ${TIMESTAMP_RULE}.` });

export const ingestEventSchema = z
  .object({
    event: z.string().min(1).max(INGEST_LIMITS.maxEventNameLength).meta({ description: "Event name, e.g. page_view." }),
    properties: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({
        description: `Free-form properties: a JSON object of at most ${INGEST_LIMITS.maxPropertyKeys} keys and ${INGEST_LIMITS.maxPropertyDepth} levels of nesting.`,
      }),
    distinct_id: z.string().max(INGEST_LIMITS.maxIdLength).nullish().meta({
      description:
        "The user, when known. Without it the event is counted under the server's daily visitor id (README, privacy).",
    }),
    session_id: z.string().max(INGEST_LIMITS.maxIdLength).nullish(),
    page_url: z.string().max(INGEST_LIMITS.maxUrlLength).nullish(),
    referrer: z.string().max(INGEST_LIMITS.maxUrlLength).nullish(),
    timestamp: isoTimestampSchema.nullish().meta({
      description:
        "When it happened: ISO 8601 with seconds; with an offset (`Z`, `+02:00`) or without one, which means UTC. Missing means now; more than 23 h ahead is set to now; older than 365 days is rejected.",
    }),
    insert_id: z.string().min(1).max(INGEST_LIMITS.maxInsertIdLength).nullish().meta({
      description: "Dedupe key, reused by the client on retry. The server makes one (UUIDv7) when missing.",
    }),
  })
  .meta({ id: "IngestEvent" });
export type IngestEvent = z.infer<typeof ingestEventSchema>;

/** What the route checks before looking at single events: anything else is a 400. */
export const ingestEnvelopeSchema = z.object({
  events: z.array(z.unknown()).min(1).max(INGEST_LIMITS.maxEvents),
  sent_at: isoTimestampSchema.nullish(),
  api_key: z.string().max(512).nullish(),
});

/** The documented request body (events described in full). */
export const ingestRequestSchema = z
  .object({
    events: z.array(ingestEventSchema).min(1).max(INGEST_LIMITS.maxEvents),
    sent_at: isoTimestampSchema.nullish().meta({
      description:
        "The client's clock when it sent the batch (same format as `timestamp`, no offset means UTC); used to correct clocks that are off by more than 150 s.",
    }),
    api_key: z.string().nullish().meta({
      description: "The project key, for senders that cannot set the X-API-Key header (navigator.sendBeacon).",
    }),
  })
  .meta({ id: "IngestRequest" });
export type IngestBody = z.infer<typeof ingestRequestSchema>;

export const ingestResponseSchema = z
  .object({
    accepted: z.number().int().meta({ description: "Events kept (including duplicates of events already stored)." }),
    rejected: z.array(z.object({ index: z.number().int(), reason: z.string() })).meta({
      description: "Events refused, by their index in the request; the others were kept and need no resend.",
    }),
  })
  .meta({ id: "IngestResponse" });
export type IngestResponse = z.infer<typeof ingestResponseSchema>;

/** The 400 when every event of a request was refused: nothing was kept, and `rejected` says why for each. */
export const ingestRejectedResponseSchema = z
  .object({
    error: z.object({ code: z.literal("all_events_rejected"), message: z.string() }),
    accepted: z.literal(0),
    rejected: ingestResponseSchema.shape.rejected,
  })
  .meta({ id: "IngestRejected" });
export type IngestRejectedResponse = z.infer<typeof ingestRejectedResponseSchema>;

/** The REST error shape, used by every non-tRPC route. */
export const restErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .meta({ id: "RestError" });
export type RestError = z.infer<typeof restErrorSchema>;

/**
 * One event as the live WebSocket feed pushes it. `insertId` is the event's dedupe key within its project: the same
 * event may reach a socket twice (in the backfill it opens with and live), and the dashboard keeps it once.
 */
export const liveEventSchema = z
  .object({
    insertId: z.string(),
    event: z.string(),
    distinctId: z.string().nullable(),
    sessionId: z.string().nullable(),
    properties: z.record(z.string(), z.unknown()),
    pageUrl: z.string().nullable(),
    timestamp: z.string(),
  })
  .meta({ id: "LiveEvent" });
export type LiveEvent = z.infer<typeof liveEventSchema>;
