/**
 * A stand-in for `POST /api/v1/events/ingest` for the SDK's browser tests: it answers like the real route (CORS for
 * any origin, Retry-After exposed, text/plain JSON bodies, dedupe by insert_id) and records every request, so tests
 * can assert what the browser actually sent and when. `respond` picks the answer per request, to inject 503s (or
 * any refusal, with the body the real route would send).
 */
import type { IngestBody, IngestEvent } from "../../shared/ingest.ts";

export interface RecordedRequest {
  at: number;
  /** Sec-Fetch-Mode: "no-cors" for sendBeacon, "cors" for fetch. */
  mode: string | null;
  contentType: string | null;
  bytes: number;
  body: IngestBody;
  status: number;
}

export type Responder = (request: {
  index: number;
  mode: string | null;
  body: IngestBody;
}) => { status: number; retryAfter?: string; body?: unknown } | undefined;

export interface FakeIngest {
  requests: RecordedRequest[];
  /** Events stored once per insert_id, in arrival order (the server's dedupe). */
  stored: IngestEvent[];
  /** How many times each insert_id arrived in a request the fake answered 2xx or not. */
  arrivals: Map<string, number>;
  respond: Responder;
  reset(): void;
  handle(req: Request): Promise<Response>;
}

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
  "Access-Control-Allow-Headers": "Content-Type, X-API-Key",
  "Access-Control-Expose-Headers": "Retry-After",
  "Access-Control-Max-Age": "600",
};

export function createFakeIngest(apiKey: string): FakeIngest {
  const fake: FakeIngest = {
    requests: [],
    stored: [],
    arrivals: new Map(),
    respond: () => undefined,
    reset() {
      fake.requests = [];
      fake.stored = [];
      fake.arrivals = new Map();
      fake.respond = () => undefined;
    },
    async handle(req) {
      if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
      const text = await req.text();
      const body = JSON.parse(text) as IngestBody;
      const mode = req.headers.get("sec-fetch-mode");
      const answer = fake.respond({ index: fake.requests.length, mode, body }) ?? {
        status: body.api_key === apiKey ? 202 : 401,
      };
      fake.requests.push({
        at: Date.now(),
        mode,
        contentType: req.headers.get("content-type"),
        bytes: new TextEncoder().encode(text).byteLength,
        body,
        status: answer.status,
      });
      for (const event of body.events) {
        const id = event.insert_id ?? "";
        fake.arrivals.set(id, (fake.arrivals.get(id) ?? 0) + 1);
      }
      const headers: Record<string, string> = { ...CORS, "Content-Type": "application/json" };
      if (answer.retryAfter) headers["Retry-After"] = answer.retryAfter;
      if (answer.status >= 300) {
        return new Response(
          JSON.stringify(answer.body ?? { error: { code: "unavailable", message: "injected by the test" } }),
          {
            status: answer.status,
            headers,
          },
        );
      }
      const known = new Set(fake.stored.map((event) => event.insert_id));
      for (const event of body.events) if (!known.has(event.insert_id)) fake.stored.push(event);
      return new Response(JSON.stringify({ accepted: body.events.length, rejected: [] }), { status: 202, headers });
    },
  };
  return fake;
}
