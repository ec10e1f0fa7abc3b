/**
 * `GET /api/v1/ws/events/:projectId?ticket=...`: the live feed. Browsers cannot put a bearer token on a WebSocket,
 * so the dashboard first asks `auth.wsTicket({ projectId })` (owner only) and presents the single-use ticket here.
 * Refused before the upgrade: a request that is not a WebSocket upgrade (426, and the ticket is left untouched), a
 * browser Origin that is not an allowed dashboard origin (403), a missing, used or expired ticket (401), a ticket
 * for another project, or a project its user can no longer access (403). Then the socket gets the project's 50
 * events with the latest `timestamp` up to now (newest first), then each event stored from then on, each as one JSON
 * frame `{ insertId, event, distinctId, sessionId, properties, pageUrl, timestamp }` and each once, until the login or
 * the project access ends: the socket then closes with 4401 or 4403 within seconds (server/http/live/live-access-guard.ts).
 */
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/bun";
import { LIVE_BACKFILL_EVENTS } from "../../../shared/live.ts";
import { getLatestEvents } from "../../analytics/get-latest-events.ts";
import { hasProjectAccess } from "../../auth/access-check.ts";
import type { AccessGrant } from "../../auth/access-revoked.ts";
import { consumeWsTicket } from "../../auth/ws-ticket.ts";
import { runWithStatementLimits } from "../../db/statement-limits.ts";
import type { Services } from "../../services.ts";
import { LiveAccessGuard } from "../live/live-access-guard.ts";
import { LiveHub, type LiveSocket } from "../live/live-hub.ts";
import { isAllowedOrigin } from "../middleware/csrf.ts";
import { apiError } from "../middleware/errors.ts";

interface BunSocket {
  send(data: string): number;
  getBufferedAmount(): number;
  close(code?: number, reason?: string): void;
}

function isBunSocket(raw: unknown): raw is BunSocket {
  return typeof raw === "object" && raw !== null && typeof (raw as BunSocket).getBufferedAmount === "function";
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function liveRoutes(services: Services) {
  const { config, logger } = services;
  const hub = new LiveHub(services.pubsub, logger);
  const guard = new LiveAccessGuard(services);

  return new Hono<{ Variables: { grant: AccessGrant } }>().get(
    "/:projectId",
    async (c, next) => {
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw apiError(426, "This endpoint speaks WebSocket only.", { code: "upgrade_required" });
      }
      const origin = c.req.header("origin");
      if (origin && !isAllowedOrigin(origin, c.req.url, config.CORS_ORIGINS, config.PUBLIC_URL)) {
        throw apiError(403, "Connections from this origin are not allowed.", { code: "forbidden_origin" });
      }
      const projectId = c.req.param("projectId");
      const ticket = c.req.query("ticket");
      if (!ticket) throw apiError(401, "A ticket from auth.wsTicket is required.");
      let grant: AccessGrant | null;
      try {
        grant = await consumeWsTicket(services, ticket);
      } catch (error) {
        logger.warn("cannot check a live-feed ticket", { error });
        throw apiError(503, "Tickets cannot be checked right now.", { headers: { "retry-after": "5" } });
      }
      if (!grant) throw apiError(401, "The ticket is unknown, expired or already used.");
      if (!UUID_PATTERN.test(projectId) || grant.projectId !== projectId) {
        throw apiError(403, "This ticket is for another project.");
      }
      if (!(await hasProjectAccess(services, { projectId, userId: grant.userId }))) {
        throw apiError(403, "This project is not yours.");
      }
      c.set("grant", grant);
      await next();
    },
    upgradeWebSocket((c) => {
      const grant = c.get("grant");
      const projectId = grant.projectId;
      let socket: LiveSocket | null = null;
      return {
        onOpen(_event, ws) {
          const raw = ws.raw;
          if (!isBunSocket(raw)) {
            ws.close(1011, "unsupported server");
            return;
          }
          socket = {
            send: (data) => void raw.send(data),
            bufferedAmount: () => raw.getBufferedAmount(),
            close: (code, reason) => raw.close(code, reason),
          };
          void guard.watch(socket, grant);
          const backfill = () =>
            runWithStatementLimits(
              services.database,
              { timeoutMs: config.ANALYTICS_STATEMENT_TIMEOUT_MS, logger },
              (db) => getLatestEvents(db, { projectId, limit: LIVE_BACKFILL_EVENTS }, Date.now()),
            );
          hub.join(projectId, socket, backfill).catch((error) => {
            logger.warn("cannot subscribe a live-feed socket", { error, projectId });
            raw.close(1011, "the live feed is unavailable");
          });
        },
        onClose() {
          if (!socket) return;
          guard.release(socket);
          hub
            .leave(projectId, socket)
            .catch((error) => logger.warn("error while leaving a live feed", { error, projectId }));
        },
      };
    }),
  );
}
