/**
 * The Stats API: `GET /api/v1/stats/<endpoint>` with `Authorization: Bearer read_…` (a read key with `stats:read`),
 * answering exactly what the matching tRPC procedure answers for the same input, because it IS that procedure:
 * each call goes through the tRPC caller with a read-key grant (dashboardReadProcedure, its input schema,
 * analyticsLimits: statement timeout, cancel on disconnect, embedded cost bound). The endpoints and their procedures
 * are in STATS_ENDPOINTS; the query parameters, snake_case, in STATS_PARAMETERS.
 *
 * Refused in this order, each a JSON `{ error: { code, message } }`: no or unknown/revoked read key (401), a key
 * without stats:read (403), over STATS_RATE_LIMIT_PER_MINUTE calls of this key in the minute (429, Retry-After),
 * an unknown parameter or one the procedure's schema refuses (400, naming the parameter), another project than the
 * key's (404, like a missing one). A key's last use is written at most once a minute.
 */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import { READ_KEY_PREFIX, type ReadKeyScope } from "../../../shared/sharing.ts";
import { getRawDataFrom } from "../../analytics/raw-data-from.ts";
import { hashSecret } from "../../auth/share-secrets.ts";
import { findLiveReadKey } from "../../queries/sharing/find-live-read-key.ts";
import { READ_KEY_TOUCH_INTERVAL_MS, touchReadKey } from "../../queries/sharing/touch-read-key.ts";
import type { Services } from "../../services.ts";
import { getClientIp } from "../middleware/client-ip.ts";
import { apiError } from "../middleware/errors.ts";
import { createInnerContext } from "../trpc/init.ts";
import { consumeRateLimit } from "../trpc/rate-limit.ts";
import type { ReadGrant } from "../trpc/read-grant.ts";
import { createCaller } from "../trpc/root.ts";

type Caller = ReturnType<typeof createCaller>;

/** Sent with every answer of a project with a retention: its rawDataFrom (shared/analytics.ts RawDataFromAnswer). */
export const RAW_DATA_FROM_HEADER = "Raw-Data-From";

/** Each endpoint and the analytics procedure it calls. */
export const STATS_ENDPOINTS = {
  aggregate: (caller: Caller, input: never) => caller.analytics.overview(input),
  timeseries: (caller: Caller, input: never) => caller.analytics.timeseries(input),
  breakdown: (caller: Caller, input: never) => caller.analytics.breakdown(input),
  "top-events": (caller: Caller, input: never) => caller.analytics.topEvents(input),
  realtime: (caller: Caller, input: never) => caller.analytics.realtime(input),
  funnel: (caller: Caller, input: never) => caller.analytics.funnel(input),
  retention: (caller: Caller, input: never) => caller.analytics.retention(input),
  paths: (caller: Caller, input: never) => caller.analytics.paths(input),
} as const;
export type StatsEndpoint = keyof typeof STATS_ENDPOINTS;

type ParameterKind = "string" | "integer" | "json";
/** Query parameter -> the procedure input's field, and how its text is read. */
export const STATS_PARAMETERS: Record<string, { field: string; kind: ParameterKind }> = {
  project_id: { field: "projectId", kind: "string" },
  period: { field: "period", kind: "string" },
  from: { field: "from", kind: "string" },
  to: { field: "to", kind: "string" },
  timezone: { field: "timezone", kind: "string" },
  filters: { field: "filters", kind: "json" },
  dimension: { field: "dimension", kind: "string" },
  granularity: { field: "granularity", kind: "string" },
  limit: { field: "limit", kind: "integer" },
  // A funnel's steps (a JSON array) or a path's number of steps (JSON reads a number too).
  steps: { field: "steps", kind: "json" },
  limit_per_step: { field: "limitPerStep", kind: "integer" },
  window_seconds: { field: "windowSeconds", kind: "integer" },
  count_by: { field: "countBy", kind: "string" },
  breakdown: { field: "breakdown", kind: "string" },
  interval: { field: "interval", kind: "string" },
  periods: { field: "periods", kind: "integer" },
  start_event: { field: "startEvent", kind: "string" },
  return_event: { field: "returnEvent", kind: "string" },
  start: { field: "start", kind: "json" },
  direction: { field: "direction", kind: "string" },
};
const PARAMETER_OF_FIELD = new Map(Object.entries(STATS_PARAMETERS).map(([name, { field }]) => [field, name]));

/** The procedure input of a request's query string; 400 naming the parameter when one cannot be read. */
export function statsInputOf(query: Record<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(query)) {
    const parameter = STATS_PARAMETERS[name];
    if (!parameter) throw apiError(400, `${name}: unknown query parameter.`);
    if (parameter.kind === "json") {
      try {
        input[parameter.field] = JSON.parse(text);
      } catch {
        throw apiError(400, `${name}: must be JSON (for filters, an array of { dimension, op, value }).`);
      }
    } else if (parameter.kind === "integer") {
      // A non-number is passed on as text, for the schema to refuse with its own message.
      input[parameter.field] = /^-?\d{1,15}$/.test(text) ? Number(text) : text;
    } else {
      input[parameter.field] = text;
    }
  }
  return input;
}

/** A zod issue's path as the API user wrote it: `filters[0].value`, `project_id`. */
function parameterPath(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path;
  let out = head === undefined ? "input" : (PARAMETER_OF_FIELD.get(String(head)) ?? String(head));
  for (const part of rest) out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return out;
}

/** A procedure's refusal as the REST error shape, with the status tRPC would answer. */
function restErrorOf(error: TRPCError) {
  const status = getHTTPStatusCodeFromError(error) as ContentfulStatusCode;
  if (status >= 500) return error;
  const issue = error.cause instanceof ZodError ? error.cause.issues[0] : undefined;
  const message = issue ? `${parameterPath(issue.path)}: ${issue.message}` : error.message;
  return apiError(status, message);
}

/** Ids of keys whose last use this process wrote within the interval: most calls then write nothing at all. */
class LastUseWriter {
  readonly #touched = new Map<string, number>();
  constructor(private readonly services: Services) {}

  note(keyId: string): void {
    const now = Date.now();
    if ((this.#touched.get(keyId) ?? 0) > now - READ_KEY_TOUCH_INTERVAL_MS) return;
    this.#touched.set(keyId, now);
    if (this.#touched.size > 10_000) this.#touched.clear();
    touchReadKey(this.services.db, keyId).catch((error) =>
      this.services.logger.warn("could not record a read key's last use", { keyId, error }),
    );
  }
}

/** The live read key of a request with one of `scope`, or the 401 / 403 that says why not. */
export async function requireReadKey(services: Services, headers: Headers, scope: ReadKeyScope) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  const key = match?.[1];
  if (!key?.startsWith(READ_KEY_PREFIX)) {
    throw apiError(401, "Send a read key: Authorization: Bearer read_… (made in a project's or a team's settings).");
  }
  const row = await findLiveReadKey(services.db, hashSecret(key));
  if (!row) throw apiError(401, "This read key is unknown or was revoked.");
  if (!row.scopes.includes(scope)) throw apiError(403, `This read key lacks the ${scope} scope.`);
  return row;
}

export function statsApiRoutes(services: Services) {
  const lastUse = new LastUseWriter(services);
  const app = new Hono();

  async function answer(c: Context, endpoint: StatsEndpoint) {
    const key = await requireReadKey(services, c.req.raw.headers, "stats:read");
    const resHeaders = new Headers();
    try {
      await consumeRateLimit(
        { services, clientIp: `read-key:${key.id}`, resHeaders },
        { name: "stats-api", perMinute: services.config.STATS_RATE_LIMIT_PER_MINUTE },
      );
    } catch (error) {
      if (error instanceof TRPCError) {
        throw apiError(429, error.message, { headers: { "Retry-After": resHeaders.get("Retry-After") ?? "60" } });
      }
      throw error;
    }
    lastUse.note(key.id);
    const input = statsInputOf(c.req.query());
    const grant: ReadGrant = {
      kind: "readKey",
      keyId: key.id,
      projectId: key.projectId,
      teamId: key.teamId,
      scopes: key.scopes as ReadKeyScope[],
    };
    const ctx = createInnerContext(services, {
      requestId: c.get("requestId"),
      clientIp: getClientIp(c, services.config.TRUST_PROXY),
      signal: c.req.raw.signal,
      grant,
      // This call was counted above against its key's Stats API bucket; the dashboard's per-IP bucket is not this
      // API's limit (see rateLimited in init.ts: a bucket already counted for the request is not counted again).
      rateLimitsCounted: new Map([["default", Promise.resolve()]]),
    });
    try {
      const result = await STATS_ENDPOINTS[endpoint](createCaller(ctx), input as never);
      // The array answers (breakdown, top-events) cannot carry rawDataFrom: every answer sends it as a header.
      // The call succeeded, so project_id was a UUID of a project the key reads (a team key names one per call).
      const rawDataFrom = await getRawDataFrom(services.db, String(input.projectId));
      return c.json(result, 200, {
        "cache-control": "no-store",
        ...(rawDataFrom === null ? {} : { [RAW_DATA_FROM_HEADER]: rawDataFrom }),
      });
    } catch (error) {
      if (error instanceof TRPCError) throw restErrorOf(error);
      throw error;
    }
  }

  for (const endpoint of Object.keys(STATS_ENDPOINTS) as StatsEndpoint[]) {
    app.get(`/${endpoint}`, (c) => answer(c, endpoint));
  }
  return app;
}
