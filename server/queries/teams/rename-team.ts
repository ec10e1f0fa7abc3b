import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { teams } from "../../db/schema/index.ts";
import type { TeamRow } from "./team-rows.ts";

/** Renames a team; null when it is missing. */
export async function renameTeam(db: Database, input: { teamId: string; name: string }): Promise<TeamRow | null> {
  const [row] = await db
    .update(teams)
    .set({ name: input.name, updatedAt: new Date() })
    .where(eq(teams.id, input.teamId))
    .returning();
  return row ?? null;
}
