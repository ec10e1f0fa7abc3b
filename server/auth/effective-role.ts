import type { TeamRole } from "../../shared/roles.ts";

/**
 * The role a caller holds on a team (and on its projects): their membership's, or "owner" for the administrator
 * (superuser) whatever their membership. The documented rule: the administrator can list and manage every team and
 * every project (they could already delete any account with its projects); the audit log records what they do under
 * their own account. Null: no access (answered as NOT_FOUND). Used by the tRPC middleware (init.ts), the live feed
 * re-check (access-check.ts) and the export route, so the rule is written once.
 */
export function effectiveRole(access: { memberRole: TeamRole | null; isSuperuser: boolean }): TeamRole | null {
  return access.isSuperuser ? "owner" : access.memberRole;
}
