import { eq, inArray, sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";
import { projects, teams, users } from "../../db/schema/index.ts";
import { deleteProjectData } from "../../pipeline/rollups/delete-project-events.ts";
import type { ProjectRow } from "../projects/project-row.ts";

export type DeleteUserResult = { status: "deleted"; deletedProjects: ProjectRow[] } | { status: "not-found" };

/**
 * Deletes a user, in one transaction: the teams they are the only member of go with their projects and those
 * projects' events and rollups (deleteProjectData: those tables have no foreign key); in every other team only their
 * membership goes (a personal team with other members becomes an ordinary one). The caller first refuses when the
 * user is the only owner of a team with other members (findDeletionBlockingTeams).
 */
export async function deleteUser(db: Database, id: string): Promise<DeleteUserResult> {
  return db.transaction(async (tx) => {
    const soleTeams = await queryRows<{ id: string }>(
      tx,
      sql`select m.team_id as id from team_members m where m.user_id = ${id}
            and not exists (select 1 from team_members o where o.team_id = m.team_id and o.user_id <> ${id})`,
    );
    const teamIds = soleTeams.map((team) => team.id);
    const deletedProjects = teamIds.length
      ? await tx.delete(projects).where(inArray(projects.teamId, teamIds)).returning()
      : [];
    for (const project of deletedProjects) await deleteProjectData(tx, project.id);
    if (teamIds.length) await tx.delete(teams).where(inArray(teams.id, teamIds));
    const deleted = await tx.delete(users).where(eq(users.id, id)).returning({ id: users.id });
    return deleted.length > 0 ? { status: "deleted" as const, deletedProjects } : { status: "not-found" as const };
  });
}
