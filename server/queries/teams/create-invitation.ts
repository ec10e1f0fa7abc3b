import type { TeamRole } from "../../../shared/roles.ts";
import type { Database } from "../../db/client.ts";
import { teamInvitations } from "../../db/schema/index.ts";
import type { TeamInvitationRow } from "./team-rows.ts";

/** Stores an invitation (the token's hash only; server/auth/invitation-tokens.ts makes the token). */
export async function createInvitation(
  db: Database,
  input: { teamId: string; email: string; role: TeamRole; tokenHash: string; invitedByUserId: string; expiresAt: Date },
): Promise<TeamInvitationRow> {
  const [row] = await db.insert(teamInvitations).values(input).returning();
  if (!row) throw new Error("insert into team_invitations returned no row");
  return row;
}
