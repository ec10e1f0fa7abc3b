import { asc, count, eq, sql } from "drizzle-orm";
import type { TeamRole } from "../../../shared/roles.ts";
import type { Database } from "../../db/client.ts";
import { projects, teamMembers, teams } from "../../db/schema/index.ts";
import type { TeamRow } from "./team-rows.ts";

export type TeamListRow = TeamRow & { role: TeamRole | null; memberCount: number; projectCount: number };

/**
 * The teams `userId` is a member of with their role, or, with `all` (the administrator's view), every team with the
 * user's role where they hold one. Personal team first, then by creation.
 */
export async function listTeams(db: Database, input: { userId: string; all: boolean }): Promise<TeamListRow[]> {
  const memberCount = db
    .select({ teamId: teamMembers.teamId, n: count().as("member_count") })
    .from(teamMembers)
    .groupBy(teamMembers.teamId)
    .as("member_counts");
  const projectCount = db
    .select({ teamId: projects.teamId, n: count().as("project_count") })
    .from(projects)
    .groupBy(projects.teamId)
    .as("project_counts");
  const mine = db
    .select({ teamId: teamMembers.teamId, role: teamMembers.role })
    .from(teamMembers)
    .where(eq(teamMembers.userId, input.userId))
    .as("mine");
  const query = db
    .select({
      team: teams,
      role: mine.role,
      memberCount: sql<number>`coalesce(${memberCount.n}, 0)::int`,
      projectCount: sql<number>`coalesce(${projectCount.n}, 0)::int`,
    })
    .from(teams)
    .leftJoin(mine, eq(mine.teamId, teams.id))
    .leftJoin(memberCount, eq(memberCount.teamId, teams.id))
    .leftJoin(projectCount, eq(projectCount.teamId, teams.id))
    .where(input.all ? undefined : sql`${mine.role} is not null`)
    .orderBy(sql`${teams.personalUserId} = ${input.userId} is not true`, asc(teams.createdAt), asc(teams.id));
  const rows = await query;
  return rows.map((row) => ({
    ...row.team,
    role: row.role ?? null,
    memberCount: Number(row.memberCount),
    projectCount: Number(row.projectCount),
  }));
}
