/**
 * Read access that is not a login, as the tRPC context sees it (init.ts, dashboardReadProcedure):
 *   - a share page sends its share session in the `x-share-session` header (shared/sharing.ts). The session must be
 *     ours (signed, unexpired) AND its share still live in the database, read on every request: a revoked or
 *     expired share fails at the page's next request. A request with the header never reads as a signed-in user.
 *   - a read key (`Authorization: Bearer read_…`) is for the Stats API only: on /api/trpc it answers 401 naming the
 *     Stats API, so a key that leaked into a script cannot drive the dashboard's API. The Stats API builds its own
 *     context with a readKey grant (server/http/routes/stats-api.ts).
 */
import { TRPCError } from "@trpc/server";
import { READ_KEY_PREFIX, type ReadKeyScope, SHARE_SESSION_HEADER } from "../../../shared/sharing.ts";
import { verifyShareSession } from "../../auth/share-secrets.ts";
import { findLiveShare } from "../../queries/sharing/find-live-share.ts";
import type { Services } from "../../services.ts";

export type ReadGrant =
  | { kind: "share"; shareId: string; projectId: string }
  | {
      kind: "readKey";
      keyId: string;
      /** Exactly one of the two is set: a project key, or a team key reading every project of its team. */
      projectId: string | null;
      teamId: string | null;
      scopes: readonly ReadKeyScope[];
    };

export const SHARE_ENDED_MESSAGE = "This share link has ended: it was revoked, it expired, or its session did.";
export const READ_KEY_ON_TRPC_MESSAGE =
  "Read keys (read_…) work with the Stats API (/api/v1/stats/…, documented at /api/v1/docs), not with /api/trpc.";

/** True when the Authorization header carries a read key. */
export function hasReadKeyBearer(headers: Headers): boolean {
  return new RegExp(`^Bearer\\s+${READ_KEY_PREFIX}`, "i").test(headers.get("authorization") ?? "");
}

/**
 * The grant of a tRPC request: null when it carries no share session (an ordinary, maybe signed-in, request);
 * else the share's grant, or a failure saying the share ended. Throws UNAUTHORIZED for a read-key bearer.
 */
export async function readGrantOfRequest(
  services: Services,
  headers: Headers,
): Promise<{ grant: ReadGrant | null; failure: string | null } | null> {
  if (hasReadKeyBearer(headers)) throw new TRPCError({ code: "UNAUTHORIZED", message: READ_KEY_ON_TRPC_MESSAGE });
  const session = headers.get(SHARE_SESSION_HEADER);
  if (session === null) return null;
  const shareId = verifyShareSession(services.secretKey, session);
  const share = shareId ? await findLiveShare(services.db, { id: shareId }) : null;
  if (!share) return { grant: null, failure: SHARE_ENDED_MESSAGE };
  return { grant: { kind: "share", shareId: share.id, projectId: share.projectId }, failure: null };
}
