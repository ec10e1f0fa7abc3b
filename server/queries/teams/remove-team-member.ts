import { and, eq } from "drizzle-orm";
import type { TeamRole } from "../../../shared/roles.ts";
import type { Database } from "../../db/client.ts";
import { teamMembers } from "../../db/schema/index.ts";
import { lockTeamMembers } from "./lock-team-members.ts";

export type RemoveTeamMemberResult =
  | { status: "removed"; role: TeamRole }
  | { status: "not-member" }
  | { status: "last-owner" }
  | { status: "needs-owner" };

/**
 * Removes a member (or lets one leave: `actorRole` is then their own role). Only an owner may remove an owner; the
 * last owner can neither be removed nor leave (transfer ownership first, or delete the team).
 */
export async function removeTeamMember(
  db: Database,
  input: { teamId: string; userId: string; actorRole: TeamRole },
): Promise<RemoveTeamMemberResult> {
  return db.transaction(async (tx) => {
    const members = (await lockTeamMembers(tx, input.teamId)) ?? [];
    const target = members.find((member) => member.userId === input.userId);
    if (!target) return { status: "not-member" as const };
    if (target.role === "owner" && input.actorRole !== "owner") return { status: "needs-owner" as const };
    const owners = members.filter((member) => member.role === "owner").length;
    if (target.role === "owner" && owners <= 1) return { status: "last-owner" as const };
    await tx.delete(teamMembers).where(and(eq(teamMembers.teamId, input.teamId), eq(teamMembers.userId, input.userId)));
    return { status: "removed" as const, role: target.role };
  });
}
