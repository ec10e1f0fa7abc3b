import { and, eq } from "drizzle-orm";
import type { TeamRole } from "../../../shared/roles.ts";
import type { Database } from "../../db/client.ts";
import { projects, teamMembers, users } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

export interface ProjectAccess {
  project: ProjectRow;
  /** The user's role in the project's team, null when not a member. */
  memberRole: TeamRole | null;
  isSuperuser: boolean;
}

/**
 * The project with this id and what `userId` holds on it, in one statement (the project, the membership in its team,
 * the superuser flag), or null when no such project exists. Who may then do what is effectiveRole's rule.
 */
export async function findProjectAccess(
  db: Database,
  input: { projectId: string; userId: string },
): Promise<ProjectAccess | null> {
  const [row] = await db
    .select({ project: projects, memberRole: teamMembers.role, isSuperuser: users.isSuperuser })
    .from(projects)
    .leftJoin(teamMembers, and(eq(teamMembers.teamId, projects.teamId), eq(teamMembers.userId, input.userId)))
    .leftJoin(users, eq(users.id, input.userId))
    .where(eq(projects.id, input.projectId))
    .limit(1);
  if (!row) return null;
  return { project: row.project, memberRole: row.memberRole ?? null, isSuperuser: row.isSuperuser ?? false };
}
