import { and, eq } from "drizzle-orm";
import type { TeamRole } from "../../../shared/roles.ts";
import type { Database } from "../../db/client.ts";
import { teamMembers } from "../../db/schema/index.ts";
import { lockTeamMembers } from "./lock-team-members.ts";

export type TransferOwnershipResult = { status: "transferred"; previousRole: TeamRole } | { status: "not-member" };

/**
 * Makes member `toUserId` an owner and the transferring owner `fromUserId` an admin, in one transaction (the team
 * always keeps an owner). When the transfer is made by the administrator for someone not in the team, `fromUserId`
 * is null and nobody is demoted.
 */
export async function transferTeamOwnership(
  db: Database,
  input: { teamId: string; fromUserId: string | null; toUserId: string },
): Promise<TransferOwnershipResult> {
  return db.transaction(async (tx) => {
    const members = (await lockTeamMembers(tx, input.teamId)) ?? [];
    const target = members.find((member) => member.userId === input.toUserId);
    if (!target) return { status: "not-member" as const };
    await tx
      .update(teamMembers)
      .set({ role: "owner" })
      .where(and(eq(teamMembers.teamId, input.teamId), eq(teamMembers.userId, input.toUserId)));
    const from = members.find((member) => member.userId === input.fromUserId);
    if (from && from.userId !== input.toUserId)
      await tx
        .update(teamMembers)
        .set({ role: "admin" })
        .where(and(eq(teamMembers.teamId, input.teamId), eq(teamMembers.userId, from.userId)));
    return { status: "transferred" as const, previousRole: target.role };
  });
}
