/**
 * The HTTP application: one Hono app serving the tRPC API (dashboard), the REST API (ingest, health, docs), the
 * live WebSocket feed, the SDK files and the built dashboard. Built from `Services`, so tests run it with
 * `app.request()` or a real `Bun.serve` against their own database.
 */
import { trpcServer } from "@hono/trpc-server";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { Services } from "../services.ts";
import { csrfProtection } from "./middleware/csrf.ts";
import { apiError, renderError } from "./middleware/errors.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { exportRoutes } from "./routes/export.ts";
import { healthRoutes } from "./routes/health.ts";
import { createIngestEndpoint, type IngestEndpoint } from "./routes/ingest.ts";
import { liveRoutes } from "./routes/live.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { peopleExportRoutes } from "./routes/people-export.ts";
import { sharePageGuard } from "./routes/share-page.ts";
import { statsApiRoutes } from "./routes/stats-api.ts";
import { sdkAssetRoutes } from "./static/sdk-assets.ts";
import { registerSpa } from "./static/spa.ts";
import { createContext, requestIdOf } from "./trpc/init.ts";
import { appRouter } from "./trpc/root.ts";

const TRPC_MAX_BODY_BYTES = 256 * 1024;

/** `ingest`: the process's ingest endpoint when the caller also mounts it natively (see serve.ts). */
export function createApp(services: Services, options: { ingest?: IngestEndpoint } = {}) {
  const { config, logger } = services;
  const app = new Hono();

  // First: one id per request (a proxy's X-Request-Id when well-formed), answered in X-Request-Id and carried by
  // tRPC's context, error answers and their log lines.
  app.use(requestId({ limitLength: 128 }));
  app.use(securityHeaders({ hsts: config.COOKIE_SECURE }));
  app.onError(renderError(logger));
  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `No route for ${c.req.method} ${c.req.path}` } }, 404),
  );

  app.route("/api/v1/health", healthRoutes(services));
  // Ingest is posted from customers' sites: open CORS without credentials, no dashboard CORS/CSRF (see the route).
  app.route("/api/v1/events/ingest", (options.ingest ?? createIngestEndpoint(services)).routes);
  app.route("/api/v1/ws/events", liveRoutes(services));
  app.route("/api/v1/metrics", metricsRoutes(services));
  // Signed-in downloads (cookie or Bearer, like the dashboard's API); a GET that changes nothing, with no CORS.
  app.route("/api/v1/export", exportRoutes(services));
  // Read keys (Authorization: Bearer read_…): the dashboard's numbers as plain JSON, for scripts and other tools.
  app.route("/api/v1/stats", statsApiRoutes(services));
  app.route("/api/v1/people", peopleExportRoutes(services));
  app.route("/api/v1", openApiRoutes({ publicUrl: config.PUBLIC_URL }));

  // The dashboard API: credentials only from allowed origins (never reflected), JSON-only POSTs, bounded bodies.
  app.use(
    "/api/trpc/*",
    cors({
      origin: (origin) => (config.CORS_ORIGINS.includes(origin) ? origin : null),
      credentials: true,
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["Content-Type", "Authorization", "trpc-accept", "x-trpc-source"],
      exposeHeaders: ["X-Request-Id"],
      maxAge: 600,
    }),
    csrfProtection({ allowedOrigins: config.CORS_ORIGINS, publicUrl: config.PUBLIC_URL }),
    bodyLimit({
      maxSize: TRPC_MAX_BODY_BYTES,
      onError: () => {
        throw apiError(413, `Request bodies are limited to ${TRPC_MAX_BODY_BYTES} bytes.`);
      },
    }),
    trpcServer({
      router: appRouter,
      endpoint: "/api/trpc",
      createContext: (opts, c) => createContext(services, opts, c),
      onError: ({ error, path, ctx }) => {
        if (error.code === "INTERNAL_SERVER_ERROR") {
          logger.error("tRPC procedure failed", {
            path,
            requestId: requestIdOf(ctx, error),
            error: error.cause ?? error,
          });
        }
      },
    }),
  );

  // The tracker script (any site may load it) and the SDK demo page.
  app.route("/", sdkAssetRoutes());

  // A share link's page: served only while its token is live (404 before any page otherwise).
  app.use("/share/:token", sharePageGuard(services));

  // Last: the dashboard answers every GET no route above took (deep links fall back to its index.html).
  registerSpa(app);

  return app;
}

export type App = ReturnType<typeof createApp>;
