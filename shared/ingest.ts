/**
 * The ingest contract: the body of `POST /api/v1/events/ingest` and its answer. Seed-compatible (snake_case).
 * Depended on by the server's ingest route (validation + OpenAPI), the browser SDK (types only, so zod never
 * reaches the snippet) and anyone posting from a backend. Changing a field name breaks deployed snippets.
 */
import { z } from "zod";

export const INGEST_LIMITS = {
  maxBodyBytes: 1024 * 1024,
  maxEvents: 100,
  maxEventBytes: 32 * 1024,
  maxEventNameLength: 200,
  maxPropertyKeys: 255,
  maxPropertyDepth: 10,
  maxFutureMs: 23 * 60 * 60 * 1000,
  maxPastMs: 365 * 24 * 60 * 60 * 1000,
  clockSkewDeadbandMs: 150 * 1000,
} as const;

export const ingestEventSchema = z.object({
  event: z.string().min(1).max(INGEST_LIMITS.maxEventNameLength),
  properties: z.record(z.string(), z.unknown()).optional(),
  distinct_id: z.string().max(200).nullish(),
  session_id: z.string().max(200).nullish(),
  page_url: z.string().max(4096).nullish(),
  referrer: z.string().max(4096).nullish(),
  timestamp: z.iso.datetime({ offset: true }).nullish(),
  insert_id: z.string().min(1).max(128).nullish(),
});
export type IngestEvent = z.infer<typeof ingestEventSchema>;

export const ingestBodySchema = z.object({
  events: z.array(z.unknown()).min(1).max(INGEST_LIMITS.maxEvents),
  sent_at: z.iso.datetime({ offset: true }).nullish(),
  api_key: z.string().nullish(),
});
export type IngestBody = { events: IngestEvent[]; sent_at?: string | null; api_key?: string | null };

export const ingestResponseSchema = z.object({
  accepted: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), reason: z.string() })),
});
export type IngestResponse = z.infer<typeof ingestResponseSchema>;

/** The REST error shape, used by every non-tRPC route. */
export const restErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type RestError = z.infer<typeof restErrorSchema>;
