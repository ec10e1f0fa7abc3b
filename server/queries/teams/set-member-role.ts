import { and, eq } from "drizzle-orm";
import type { TeamRole } from "../../../shared/roles.ts";
import type { Database } from "../../db/client.ts";
import { teamMembers } from "../../db/schema/index.ts";
import { lockTeamMembers } from "./lock-team-members.ts";

export type SetMemberRoleResult =
  | { status: "changed"; from: TeamRole; to: TeamRole }
  | { status: "not-member" }
  | { status: "last-owner" }
  | { status: "needs-owner" };

/**
 * Changes a member's role. Only an owner may make someone an owner or change an owner's role (`actorRole` is the
 * caller's); the last owner cannot be demoted.
 */
export async function setMemberRole(
  db: Database,
  input: { teamId: string; userId: string; role: TeamRole; actorRole: TeamRole },
): Promise<SetMemberRoleResult> {
  return db.transaction(async (tx) => {
    const members = (await lockTeamMembers(tx, input.teamId)) ?? [];
    const target = members.find((member) => member.userId === input.userId);
    if (!target) return { status: "not-member" as const };
    if ((target.role === "owner" || input.role === "owner") && input.actorRole !== "owner")
      return { status: "needs-owner" as const };
    const owners = members.filter((member) => member.role === "owner").length;
    if (target.role === "owner" && input.role !== "owner" && owners <= 1) return { status: "last-owner" as const };
    await tx
      .update(teamMembers)
      .set({ role: input.role })
      .where(and(eq(teamMembers.teamId, input.teamId), eq(teamMembers.userId, input.userId)));
    return { status: "changed" as const, from: target.role, to: input.role };
  });
}
