/**
 * "Access revoked": the one signal that someone's access ended, for connections that outlive the request that
 * opened them (today the live-feed WebSocket). Call `publishAccessRevoked` after committing any change that ends a
 * login or takes a project away from someone; every API process then re-checks its affected connections at once.
 *
 * Rules:
 * - A revocation names whom it concerns by any of userId, sessionId, projectId; a connection is affected when every
 *   field given matches it. `{ sessionId }`: one login ended. `{ userId }`: every login of the user may have ended
 *   (a kept session survives the re-check). `{ projectId }`: the project is gone for everyone. `{ userId,
 *   projectId }`: one person lost one project (a team member removed).
 * - The message carries no authority. Receivers re-check the connection with `checkLiveAccess`, the source of truth,
 *   and close only what it refuses: a message arriving late, twice, or for a session that was kept does no harm.
 * - Redis pub/sub has no delivery guarantee, so receivers also run the same check every few seconds per connection;
 *   a lost message delays the close by at most that interval. A failed publish is therefore logged, never thrown.
 * - What the re-check asks lives in access-check.ts (`checkLiveAccess`, `hasProjectAccess`).
 */
import { z } from "zod";
import type { PubSub } from "../infra/pub-sub.ts";
import type { Logger } from "../logger.ts";

export const ACCESS_REVOKED_CHANNEL = "auth:access-revoked";

const accessRevocationSchema = z
  .object({
    userId: z.string().optional(),
    sessionId: z.string().optional(),
    projectId: z.string().optional(),
    /** Why, for the logs (e.g. "session-ended", "project-deleted"). */
    reason: z.string(),
  })
  .refine((value) => value.userId !== undefined || value.sessionId !== undefined || value.projectId !== undefined, {
    message: "a revocation names a user, a session or a project",
  });

export type AccessRevocation = z.infer<typeof accessRevocationSchema>;

/** What a long-lived connection was granted: one login watching one project. */
export interface AccessGrant {
  userId: string;
  sessionId: string;
  projectId: string;
}

/** Announces that access ended; see the rules above. Never rejects. */
export async function publishAccessRevoked(
  services: { pubsub: PubSub; logger: Logger },
  revocation: AccessRevocation,
): Promise<void> {
  try {
    await services.pubsub.publish(ACCESS_REVOKED_CHANNEL, JSON.stringify(accessRevocationSchema.parse(revocation)));
  } catch (error) {
    services.logger.warn("could not announce an access revocation; the periodic re-check will close its connections", {
      error,
      reason: revocation.reason,
    });
  }
}

/** Listens for revocations from every process; malformed messages are logged and skipped. */
export function subscribeAccessRevoked(
  services: { pubsub: PubSub; logger: Logger },
  handler: (revocation: AccessRevocation) => void,
): Promise<() => Promise<void>> {
  return services.pubsub.subscribe(ACCESS_REVOKED_CHANNEL, (message) => {
    let parsed: AccessRevocation;
    try {
      parsed = accessRevocationSchema.parse(JSON.parse(message));
    } catch (error) {
      services.logger.warn("ignoring a malformed access-revocation message", { error });
      return;
    }
    handler(parsed);
  });
}

/** True when the revocation concerns this grant (every field it names matches). */
export function revocationAffects(revocation: AccessRevocation, grant: AccessGrant): boolean {
  return (
    (revocation.userId === undefined || revocation.userId === grant.userId) &&
    (revocation.sessionId === undefined || revocation.sessionId === grant.sessionId) &&
    (revocation.projectId === undefined || revocation.projectId === grant.projectId)
  );
}
