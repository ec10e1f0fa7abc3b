import { and, desc, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { teamInvitations } from "../../db/schema/index.ts";
import type { TeamInvitationRow } from "./team-rows.ts";

/** A team's invitations not yet accepted or revoked (expired ones included, marked by expiresAt), newest first. */
export async function listInvitations(db: Database, teamId: string): Promise<TeamInvitationRow[]> {
  return db
    .select()
    .from(teamInvitations)
    .where(
      and(eq(teamInvitations.teamId, teamId), isNull(teamInvitations.acceptedAt), isNull(teamInvitations.revokedAt)),
    )
    .orderBy(desc(teamInvitations.createdAt));
}
