import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { teamInvitations, teamMembers } from "../../db/schema/index.ts";
import type { TeamInvitationRow } from "./team-rows.ts";

export type AcceptInvitationResult =
  | { status: "accepted"; invitation: TeamInvitationRow; alreadyMember: boolean }
  | { status: "invalid" }
  | { status: "used" }
  | { status: "revoked" }
  | { status: "expired" }
  | { status: "wrong-email" };

/**
 * Accepts an invitation for the account `{ userId, email }`: single-use (the row is locked and marked accepted in
 * the same transaction as the membership, so a replay or two tabs accept it once), refused when revoked, expired or
 * made for another email. Someone already in the team keeps their role (an invitation never demotes).
 */
export async function acceptInvitation(
  db: Database,
  input: { tokenHash: string; userId: string; email: string; now: Date },
): Promise<AcceptInvitationResult> {
  return db.transaction(async (tx) => {
    const [invitation] = await tx
      .select()
      .from(teamInvitations)
      .where(eq(teamInvitations.tokenHash, input.tokenHash))
      .for("update");
    if (!invitation) return { status: "invalid" as const };
    if (invitation.acceptedAt) return { status: "used" as const };
    if (invitation.revokedAt) return { status: "revoked" as const };
    if (invitation.expiresAt.getTime() <= input.now.getTime()) return { status: "expired" as const };
    if (invitation.email.toLowerCase() !== input.email.toLowerCase()) return { status: "wrong-email" as const };
    const inserted = await tx
      .insert(teamMembers)
      .values({ teamId: invitation.teamId, userId: input.userId, role: invitation.role })
      .onConflictDoNothing()
      .returning({ userId: teamMembers.userId });
    const [accepted] = await tx
      .update(teamInvitations)
      .set({ acceptedAt: input.now, acceptedByUserId: input.userId })
      .where(eq(teamInvitations.id, invitation.id))
      .returning();
    return { status: "accepted" as const, invitation: accepted!, alreadyMember: inserted.length === 0 };
  });
}
