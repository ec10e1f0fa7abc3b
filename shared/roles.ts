/**
 * Roles a member holds in a team, from least to most. A project belongs to one team; what a caller may do with the
 * project is what their role in that team allows (issue "Teams, shared dashboards and a Stats API"):
 *   viewer  reads analytics only
 *   editor  also goals and cohorts
 *   admin   also members, project settings, key rotation, shares, read keys, people deletion and export
 *   owner   everything, transfers and deletes the team
 * The server enforces them in one middleware (server/http/trpc/init.ts, projectRoleProcedure), never only in the UI.
 */
export const TEAM_ROLES = ["viewer", "editor", "admin", "owner"] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** True when `held` allows everything `needed` does. */
export function roleAtLeast(held: TeamRole, needed: TeamRole): boolean {
  return TEAM_ROLES.indexOf(held) >= TEAM_ROLES.indexOf(needed);
}
