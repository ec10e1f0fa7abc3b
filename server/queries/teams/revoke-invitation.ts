import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { teamInvitations } from "../../db/schema/index.ts";
import type { TeamInvitationRow } from "./team-rows.ts";

/** Revokes a pending invitation of this team; null when it is missing, foreign, accepted or already revoked. */
export async function revokeInvitation(
  db: Database,
  input: { teamId: string; invitationId: string },
): Promise<TeamInvitationRow | null> {
  const [row] = await db
    .update(teamInvitations)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(teamInvitations.id, input.invitationId),
        eq(teamInvitations.teamId, input.teamId),
        isNull(teamInvitations.acceptedAt),
        isNull(teamInvitations.revokedAt),
      ),
    )
    .returning();
  return row ?? null;
}
