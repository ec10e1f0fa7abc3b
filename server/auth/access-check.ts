/**
 * Whether a long-lived connection (the live feed) may stay open: the re-check behind the "access revoked" signal
 * (access-revoked.ts), run when a revocation arrives and every few seconds. Project access is decided in
 * `hasProjectAccess` alone (a role in the project's team, or the administrator: the same rule as the tRPC
 * middleware, effectiveRole); the ticket check when a live feed connects uses it too, so a change
 * of what access means (teams) is made here once.
 */
import { findProjectAccess } from "../queries/projects/find-project-access.ts";
import { findUserById } from "../queries/users/find-user-by-id.ts";
import type { Services } from "../services.ts";
import type { AccessGrant } from "./access-revoked.ts";
import { effectiveRole } from "./effective-role.ts";
import { isSessionLive } from "./sessions.ts";

/** Whether a user may watch a project. The one definition of project access for long-lived connections. */
export async function hasProjectAccess(
  services: Pick<Services, "db">,
  input: { userId: string; projectId: string },
): Promise<boolean> {
  const access = await findProjectAccess(services.db, input);
  return access !== null && effectiveRole(access) !== null;
}

export type AccessCheck = "ok" | "login-ended" | "project-access-ended";

/**
 * Re-checks a grant: the login (user exists and is active, session live) first, then the project. Rejects when the
 * database or the key store cannot answer; the caller fails closed.
 */
export async function checkLiveAccess(services: Services, grant: AccessGrant): Promise<AccessCheck> {
  const user = await findUserById(services.db, grant.userId);
  if (!user?.isActive) return "login-ended";
  if (!(await isSessionLive(services, { userId: grant.userId, sessionId: grant.sessionId }))) return "login-ended";
  if (!(await hasProjectAccess(services, grant))) return "project-access-ended";
  return "ok";
}
