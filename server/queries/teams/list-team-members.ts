import { asc, eq } from "drizzle-orm";
import type { TeamRole } from "../../../shared/roles.ts";
import type { Database } from "../../db/client.ts";
import { teamMembers, users } from "../../db/schema/index.ts";

export interface TeamMemberListRow {
  userId: string;
  email: string;
  fullName: string | null;
  role: TeamRole;
  joinedAt: Date;
}

/** The members of a team with their role, in joining order. */
export async function listTeamMembers(db: Database, teamId: string): Promise<TeamMemberListRow[]> {
  return db
    .select({
      userId: teamMembers.userId,
      email: users.email,
      fullName: users.fullName,
      role: teamMembers.role,
      joinedAt: teamMembers.createdAt,
    })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(eq(teamMembers.teamId, teamId))
    .orderBy(asc(teamMembers.createdAt), asc(users.email));
}
