/**
 * `POST /api/v1/events/ingest` (and its CORS preflight). Ingest is called from customers' sites, so it sits outside
 * the dashboard's CORS allowlist and CSRF middleware: it carries no cookies and answers any origin without
 * credentials. Its per-process state (key cache, rate-limit counts, backlog reading) is built once per process and
 * shared by both ways in:
 *   - `routes`: a Hono sub-app, mounted by createApp (what `app.request()` in tests exercises);
 *   - `bunRoutes`: the same handler as a native Bun.serve route, used by the real server. Ingest is the one hot path,
 *     and skipping the framework's dispatch and per-response header middleware measured ~20 % of its CPU; the
 *     handler sets its own security headers, so the answers are the same.
 */

import type { Server } from "bun";
import { type Context, Hono } from "hono";
import { EventQueue } from "../../pipeline/sink/event-queue.ts";
import { publishStoredEvents } from "../../pipeline/worker/publish-stored-events.ts";
import type { Services } from "../../services.ts";
import { ApiKeyCache } from "../ingest/api-key-cache.ts";
import { DailyVisitorIds } from "../ingest/daily-visitor-id.ts";
import { IpHasher } from "../ingest/enrich.ts";
import { createIngestHandler, type IngestHandler } from "../ingest/ingest-handler.ts";
import { IngestRateLimiter } from "../ingest/rate-limiter.ts";
import { getClientIp, proxiedClientIp } from "../middleware/client-ip.ts";

export interface IngestEndpoint {
  handler: IngestHandler;
  routes: Hono;
  bunRoutes: {
    POST: (request: Request, server: Server<unknown>) => Promise<Response>;
    OPTIONS: (request: Request, server: Server<unknown>) => Promise<Response>;
  };
}

/** The client address for a native route, by getClientIp's rule (server/http/middleware/client-ip.ts). */
function clientIpOf(request: Request, server: Server<unknown>, trustProxy: boolean): string {
  return (trustProxy && proxiedClientIp(request.headers)) || (server.requestIP(request)?.address ?? "unknown");
}

export function createIngestEndpoint(services: Services): IngestEndpoint {
  const { config, logger } = services;
  const keys = new ApiKeyCache({ db: services.db, pubsub: services.pubsub, logger });
  void keys.start();
  const handler = createIngestHandler({
    config,
    logger,
    keys,
    limiter: new IngestRateLimiter({
      limitPerMinute: config.INGEST_RATE_LIMIT_PER_MINUTE,
      redis: services.redis,
      prefix: config.REDIS_KEY_PREFIX,
      logger,
    }),
    queue: new EventQueue({
      stream: services.stream,
      db: services.db,
      logger,
      maxBacklog: config.STREAM_MAX_BACKLOG,
      onStoredDirectly: (rows) => void publishStoredEvents(services.pubsub, logger, rows),
      onSuppressed: (count) =>
        void services.metrics.suppressedEvents.add("direct-write", count).catch((error) => {
          logger.warn("cannot add to the suppressed-events counter", { error });
        }),
    }),
    ipHasher: new IpHasher(services.secretKey),
    countries: services.countries,
    visitorIds: new DailyVisitorIds(services.kv, logger),
  });
  const viaHono = (c: Context) => handler(c.req.raw, getClientIp(c, config.TRUST_PROXY));
  const native = (request: Request, server: Server<unknown>) =>
    handler(request, clientIpOf(request, server, config.TRUST_PROXY));
  return {
    handler,
    routes: new Hono().post("/", viaHono).options("/", viaHono),
    bunRoutes: { POST: native, OPTIONS: native },
  };
}
