import { and, eq } from "drizzle-orm";
import type { TeamRole } from "../../../shared/roles.ts";
import type { Database } from "../../db/client.ts";
import { teamMembers, teams, users } from "../../db/schema/index.ts";
import type { TeamRow } from "./team-rows.ts";

export interface TeamAccess {
  team: TeamRow;
  /** The user's role in the team, null when not a member. */
  memberRole: TeamRole | null;
  isSuperuser: boolean;
}

/** The team with this id and what `userId` holds in it, in one statement; null when no such team exists. */
export async function findTeamAccess(
  db: Database,
  input: { teamId: string; userId: string },
): Promise<TeamAccess | null> {
  const [row] = await db
    .select({ team: teams, memberRole: teamMembers.role, isSuperuser: users.isSuperuser })
    .from(teams)
    .leftJoin(teamMembers, and(eq(teamMembers.teamId, teams.id), eq(teamMembers.userId, input.userId)))
    .leftJoin(users, eq(users.id, input.userId))
    .where(eq(teams.id, input.teamId))
    .limit(1);
  if (!row) return null;
  return { team: row.team, memberRole: row.memberRole ?? null, isSuperuser: row.isSuperuser ?? false };
}
