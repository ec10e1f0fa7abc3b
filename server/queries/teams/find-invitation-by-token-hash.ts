import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { teamInvitations, teams } from "../../db/schema/index.ts";
import type { TeamInvitationRow } from "./team-rows.ts";

/** The invitation whose token hashes to `tokenHash`, with its team's name; null when there is none. */
export async function findInvitationByTokenHash(
  db: Database,
  tokenHash: string,
): Promise<(TeamInvitationRow & { teamName: string }) | null> {
  const [row] = await db
    .select({ invitation: teamInvitations, teamName: teams.name })
    .from(teamInvitations)
    .innerJoin(teams, eq(teams.id, teamInvitations.teamId))
    .where(eq(teamInvitations.tokenHash, tokenHash))
    .limit(1);
  return row ? { ...row.invitation, teamName: row.teamName } : null;
}
