import type { Database } from "../../db/client.ts";
import { teamMembers, teams } from "../../db/schema/index.ts";
import type { TeamRow } from "./team-rows.ts";

/**
 * Creates a team whose only member, its owner, is `ownerUserId`. With `personal` it is that account's personal team
 * (one per account: the unique index on personal_user_id). Pass a transaction to make it part of a larger change.
 */
export async function createTeam(
  db: Database,
  input: { name: string; ownerUserId: string; personal?: boolean },
): Promise<TeamRow> {
  return db.transaction(async (tx) => {
    const [team] = await tx
      .insert(teams)
      .values({ name: input.name, personalUserId: input.personal ? input.ownerUserId : null })
      .returning();
    if (!team) throw new Error("insert into teams returned no row");
    await tx.insert(teamMembers).values({ teamId: team.id, userId: input.ownerUserId, role: "owner" });
    return team;
  });
}
