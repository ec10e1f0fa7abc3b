import { count, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects, readKeys, teams } from "../../db/schema/index.ts";

export type DeleteTeamResult = "deleted" | "not-found" | "has-projects" | "personal";

/**
 * Deletes a team with its memberships, invitations and team-wide read keys (read_keys has no foreign key). Refused while it has projects (move or delete them first: a
 * team deletion never deletes analytics data by surprise) and for a personal team (every account keeps one). The
 * team row is locked first, so a project created at the same instant either lands before (and refuses) or fails.
 */
export async function deleteTeam(db: Database, teamId: string): Promise<DeleteTeamResult> {
  return db.transaction(async (tx) => {
    const [team] = await tx.select().from(teams).where(eq(teams.id, teamId)).for("update");
    if (!team) return "not-found";
    if (team.personalUserId) return "personal";
    const [projectCount] = await tx.select({ n: count() }).from(projects).where(eq(projects.teamId, teamId));
    if ((projectCount?.n ?? 0) > 0) return "has-projects";
    await tx.delete(readKeys).where(eq(readKeys.teamId, teamId));
    await tx.delete(teams).where(eq(teams.id, teamId));
    return "deleted";
  });
}
