/**
 * Closes live-feed sockets whose access ended, in one server process. Each socket is registered with its grant (one
 * login watching one project). A socket is re-checked (server/auth/access-check.ts) at once when an "access
 * revoked" message concerns it (server/auth/access-revoked.ts, one subscription per process), and every
 * `recheckMs` anyway, because a pub/sub message can be lost. The check decides the close code:
 *   - the login ended (session ended, user disabled or deleted): LIVE_CLOSE_CODES.loginEnded (4401);
 *   - the project is no longer accessible: LIVE_CLOSE_CODES.projectAccessEnded (4403);
 *   - the check itself failed (database or key store unreachable): 1013, try again later. Access that cannot be
 *     confirmed is not kept (fail closed); the dashboard reconnects with backoff once tickets can be issued again.
 * One check per distinct grant per round, however many sockets share it; rounds never overlap.
 */

import { LIVE_CLOSE_CODES } from "../../../shared/live.ts";
import { type AccessCheck, checkLiveAccess } from "../../auth/access-check.ts";
import {
  type AccessGrant,
  type AccessRevocation,
  revocationAffects,
  subscribeAccessRevoked,
} from "../../auth/access-revoked.ts";
import type { Services } from "../../services.ts";
import type { LiveSocket } from "./live-hub.ts";

/** Short enough that a lost revocation message still closes its sockets within 5 s of the change. */
export const LIVE_RECHECK_MS = 3_000;

const CHECK_FAILED_CLOSE_CODE = 1013;

const grantKey = (grant: AccessGrant) => `${grant.userId} ${grant.sessionId} ${grant.projectId}`;

export class LiveAccessGuard {
  private readonly sockets = new Map<LiveSocket, AccessGrant>();
  private subscription: Promise<() => Promise<void>> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private rechecking = false;

  constructor(
    private readonly services: Services,
    private readonly recheckMs = LIVE_RECHECK_MS,
  ) {}

  /** Starts guarding a socket; the first one subscribes to revocations and starts the periodic re-check. */
  async watch(socket: LiveSocket, grant: AccessGrant): Promise<void> {
    this.sockets.set(socket, grant);
    if (!this.timer) {
      this.timer = setInterval(() => void this.recheckAll(), this.recheckMs);
      this.timer.unref?.();
    }
    this.subscription ??= subscribeAccessRevoked(this.services, (revocation) => this.onRevocation(revocation));
    try {
      await this.subscription;
    } catch (error) {
      // Without the subscription the periodic re-check still closes revoked sockets; the next socket tries again.
      this.subscription = null;
      this.services.logger.warn("cannot subscribe to access revocations; relying on the periodic re-check", { error });
    }
  }

  /** Stops guarding a socket (closed by either side); the last one stops the timer. Idempotent. */
  release(socket: LiveSocket): void {
    this.sockets.delete(socket);
    if (this.sockets.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Sockets currently guarded (for tests). */
  guarded(): number {
    return this.sockets.size;
  }

  private onRevocation(revocation: AccessRevocation) {
    const affected = [...this.sockets].filter(([, grant]) => revocationAffects(revocation, grant));
    if (affected.length) void this.recheck(affected);
  }

  private async recheckAll() {
    if (this.rechecking) return;
    this.rechecking = true;
    try {
      await this.recheck([...this.sockets]);
    } finally {
      this.rechecking = false;
    }
  }

  private async recheck(entries: Array<[LiveSocket, AccessGrant]>) {
    const checks = new Map<string, Promise<AccessCheck | "failed">>();
    await Promise.all(
      entries.map(async ([socket, grant]) => {
        const key = grantKey(grant);
        let check = checks.get(key);
        if (!check) {
          check = checkLiveAccess(this.services, grant).catch((error) => {
            this.services.logger.warn("cannot re-check a live-feed socket's access; closing it", {
              error,
              projectId: grant.projectId,
            });
            return "failed" as const;
          });
          checks.set(key, check);
        }
        const outcome = await check;
        if (outcome === "ok" || !this.sockets.has(socket)) return;
        this.release(socket);
        if (outcome === "login-ended") socket.close(LIVE_CLOSE_CODES.loginEnded, "your sign-in has ended");
        else if (outcome === "project-access-ended")
          socket.close(LIVE_CLOSE_CODES.projectAccessEnded, "this project is no longer available to you");
        else socket.close(CHECK_FAILED_CLOSE_CODE, "access cannot be checked right now; reconnect shortly");
      }),
    );
  }
}
