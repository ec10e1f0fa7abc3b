import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { teams } from "../../db/schema/index.ts";
import type { TeamRow } from "./team-rows.ts";

/** The account's personal team (made with the account), or null if it has none (e.g. made before teams existed). */
export async function findPersonalTeam(db: Database, userId: string): Promise<TeamRow | null> {
  const [row] = await db.select().from(teams).where(eq(teams.personalUserId, userId)).limit(1);
  return row ?? null;
}
