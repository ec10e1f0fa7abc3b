import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { teamMembers, teams } from "../../db/schema/index.ts";
import type { TeamMemberRow } from "./team-rows.ts";

/**
 * Inside a transaction: locks the team row (every membership change of one team runs one at a time, so "the last
 * owner" is decided on what is committed) and returns its members; null when the team is missing.
 */
export async function lockTeamMembers(tx: Database, teamId: string): Promise<TeamMemberRow[] | null> {
  const [team] = await tx.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).for("update");
  if (!team) return null;
  return tx.select().from(teamMembers).where(eq(teamMembers.teamId, teamId));
}
