/**
 * The REST API's description: `GET /api/v1/openapi.json` (OpenAPI 3.1, whose schemas are JSON Schema 2020-12) and a
 * readable page at `GET /api/v1/docs` (Swagger UI, see openapi-docs-page.ts). The schemas are generated with
 * `z.toJSONSchema` from the same zod schemas in shared/ingest.ts that define what ingest accepts, so the document
 * cannot drift from the contract. The page's files are all served from here (the app's CSP allows only same-origin
 * scripts, no inline code).
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  INGEST_LIMITS,
  ingestEventSchema,
  ingestRejectedResponseSchema,
  ingestRequestSchema,
  ingestResponseSchema,
  liveEventSchema,
  restErrorSchema,
} from "../../../shared/ingest.ts";
import { docsPageRoutes } from "./openapi-docs-page.ts";
import { STATS_SECURITY_SCHEME, statsComponentSchemas, statsPaths } from "./stats-api-openapi.ts";

const healthSchema = z.object({ status: z.literal("ok") });
const readinessSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  checks: z.record(z.string(), z.string()),
  down: z.array(z.string()).optional(),
});

function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  registry.add(ingestEventSchema, { id: "IngestEvent" });
  registry.add(ingestRequestSchema, { id: "IngestRequest" });
  registry.add(ingestResponseSchema, { id: "IngestResponse" });
  registry.add(ingestRejectedResponseSchema, { id: "IngestRejected" });
  registry.add(restErrorSchema, { id: "RestError" });
  registry.add(liveEventSchema, { id: "LiveEvent" });
  registry.add(healthSchema, { id: "Health" });
  registry.add(readinessSchema, { id: "Readiness" });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` });
  const out: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
    out[id] = rest;
  }
  return { ...out, ...statsComponentSchemas() };
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const errorResponse = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema: ref("RestError") } },
});
const retryAfter = { "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } } };

/** Builds the OpenAPI document. */
export function buildOpenApiDocument(serverUrl?: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "analytics-dashboard REST API",
      version: "1",
      description:
        "Event ingestion, health and the Stats API (read keys: Authorize with `read_…`). The dashboard's own API is tRPC at /api/trpc; the live feed is a WebSocket at " +
        "/api/v1/ws/events/{projectId}?ticket=… (ticket from auth.wsTicket) pushing LiveEvent frames.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      schemas: componentSchemas(),
      securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "X-API-Key" }, ...STATS_SECURITY_SCHEME },
    },
    paths: {
      "/api/v1/events/ingest": {
        post: {
          operationId: "ingestEvents",
          summary: "Send a batch of events",
          description:
            `At most ${INGEST_LIMITS.maxBodyBytes} bytes, 1 to ${INGEST_LIMITS.maxEvents} events, each at most ` +
            `${INGEST_LIMITS.maxEventBytes} bytes. The key goes in X-API-Key, or in the body as api_key (for ` +
            "navigator.sendBeacon, which may also send the JSON as text/plain). Valid events are kept even when " +
            "others are rejected; a retried batch with the same insert_id values is stored once. Any origin may post " +
            "(CORS, no credentials); a project with a domain refuses browser requests from other sites.",
          security: [{ apiKey: [] }, {}],
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: ref("IngestRequest") },
              "text/plain": { schema: ref("IngestRequest") },
            },
          },
          responses: {
            "202": {
              description: "Accepted: the events are queued (or stored) and will be in the database shortly.",
              content: { "application/json": { schema: ref("IngestResponse") } },
            },
            "400": {
              description:
                "Malformed JSON, or not `{ events: [...] }` (a RestError); or every event was rejected, nothing was " +
                "kept (IngestRejected: code `all_events_rejected`, with `accepted: 0` and the reason of each in " +
                "`rejected`). A batch with at least one valid event is a 202 instead.",
              content: { "application/json": { schema: { anyOf: [ref("RestError"), ref("IngestRejected")] } } },
            },
            "401": errorResponse("Missing or unknown API key."),
            "403": errorResponse("A browser request from another site than the project's domain."),
            "413": errorResponse(
              `Body over ${INGEST_LIMITS.maxBodyBytes} bytes or more than ${INGEST_LIMITS.maxEvents} events.`,
            ),
            "415": errorResponse("Neither application/json nor text/plain."),
            "429": errorResponse("The project's per-minute event limit is reached.", retryAfter),
            "503": errorResponse(
              "Events cannot be stored right now (queue and database unavailable, or overloaded).",
              retryAfter,
            ),
          },
        },
      },
      "/api/v1/health": {
        get: {
          operationId: "health",
          summary: "Liveness: the process answers (nothing else is checked)",
          responses: { "200": { description: "Alive.", content: { "application/json": { schema: ref("Health") } } } },
        },
      },
      "/api/v1/health/ready": {
        get: {
          operationId: "readiness",
          summary: "Readiness: the database and, when configured, Redis answer",
          responses: {
            "200": { description: "Ready.", content: { "application/json": { schema: ref("Readiness") } } },
            "503": {
              description: "Something is down (named in `down`).",
              content: { "application/json": { schema: ref("Readiness") } },
            },
          },
        },
      },
      ...statsPaths(ref, errorResponse, retryAfter),
    },
  };
}

export function openApiRoutes(options: { publicUrl?: string } = {}) {
  const document = JSON.stringify(buildOpenApiDocument(options.publicUrl));
  return new Hono()
    .get("/openapi.json", (c) => c.body(document, 200, { "content-type": "application/json; charset=utf-8" }))
    .route("/", docsPageRoutes());
}
