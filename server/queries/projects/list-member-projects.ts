import { asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects, teamMembers, teams } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

export type MemberProjectRow = ProjectRow & { teamName: string; role: (typeof teamMembers.$inferSelect)["role"] };

/** Every project of every team the user is a member of, with that team's name and the user's role, oldest first. */
export async function listMemberProjects(db: Database, userId: string): Promise<MemberProjectRow[]> {
  const rows = await db
    .select({ project: projects, teamName: teams.name, role: teamMembers.role })
    .from(teamMembers)
    .innerJoin(projects, eq(projects.teamId, teamMembers.teamId))
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(eq(teamMembers.userId, userId))
    .orderBy(asc(projects.createdAt), asc(projects.id));
  return rows.map((row) => ({ ...row.project, teamName: row.teamName, role: row.role }));
}
