/**
 * Mounts `POST /api/v1/events/ingest` (and its CORS preflight). Ingest is called from customers' sites, so it sits
 * outside the dashboard's CORS allowlist and CSRF middleware: it carries no cookies and answers any origin without
 * credentials. Its per-process state (key cache, rate-limit counts, backlog reading) is built here, once per app.
 */
import { Hono, type Context } from "hono";
import { getClientIp } from "../http/client-ip.ts";
import { ApiKeyCache } from "../ingest/api-key-cache.ts";
import { IpHasher } from "../ingest/enrich.ts";
import { EventQueue } from "../ingest/event-queue.ts";
import { createIngestHandler } from "../ingest/ingest-handler.ts";
import { IngestRateLimiter } from "../ingest/rate-limiter.ts";
import { publishStoredEvents } from "../live/publish-stored-events.ts";
import type { Services } from "../services.ts";

export function ingestRoutes(services: Services) {
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
    }),
    ipHasher: new IpHasher(services.secretKey),
  });
  const route = (c: Context) => handler(c.req.raw, getClientIp(c, config.TRUST_PROXY));
  return new Hono().post("/", route).options("/", route);
}
