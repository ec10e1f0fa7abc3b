/**
 * Starts the HTTP server for a set of services. Used by `bun start`, `bun run server` and the tests, which pass
 * port 0 to get a free one.
 */
import { websocket } from "hono/bun";
import type { Services } from "../services.ts";
import { createApp } from "./app.ts";
import { INGEST_PATH } from "./ingest/ingest-handler.ts";
import { renderNativeError } from "./middleware/errors.ts";
import { createIngestEndpoint } from "./routes/ingest.ts";

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function startHttpServer(services: Services, options: { port?: number; hostname?: string } = {}): RunningServer {
  const ingest = createIngestEndpoint(services);
  const app = createApp(services, { ingest });
  const server = Bun.serve({
    // The ingest hot path as a native route (see server/http/routes/ingest.ts); everything else goes through the app.
    routes: { [INGEST_PATH]: ingest.bunRoutes },
    port: options.port ?? services.config.PORT,
    hostname: options.hostname ?? services.config.HOST,
    fetch: app.fetch,
    websocket,
    error: renderNativeError(services.logger),
    // Bodies larger than this are cut before any handler runs; routes apply their own tighter limits.
    maxRequestBodySize: 2 * 1024 * 1024,
    // Bun's default closes a connection after 10 s without bytes; a filtered query over months of raw events can take
    // longer on a large project, and the dashboard should get its answer rather than a dropped connection.
    idleTimeout: 60,
    development: false,
  });
  const host = server.hostname === "0.0.0.0" || server.hostname === "::" ? "localhost" : server.hostname;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port ?? 0,
    stop: () => server.stop(true),
  };
}
