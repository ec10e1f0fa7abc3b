import type { Database } from "../../db/client.ts";
import { createTeam } from "./create-team.ts";
import { findPersonalTeam } from "./find-personal-team.ts";

/**
 * The id of the account's personal team, made now if it has none (an account inserted without createUser, e.g. by a
 * script or a test fixture). Two concurrent calls cannot make two: the unique index on personal_user_id refuses the
 * second, which then reads the first.
 */
export async function ensurePersonalTeam(db: Database, userId: string): Promise<string> {
  const existing = await findPersonalTeam(db, userId);
  if (existing) return existing.id;
  try {
    return (await createTeam(db, { name: "Personal", ownerUserId: userId, personal: true })).id;
  } catch (error) {
    const raced = await findPersonalTeam(db, userId);
    if (raced) return raced.id;
    throw error;
  }
}
