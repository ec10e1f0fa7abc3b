import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { users } from "../../db/schema/index.ts";
import type { UserRow } from "./find-user-by-id.ts";

/** Replaces a user's password hash; returns the user, or null when there is no such user. */
export async function setUserPassword(
  db: Database,
  input: { id: string; passwordHash: string },
): Promise<UserRow | null> {
  const [user] = await db
    .update(users)
    .set({ passwordHash: input.passwordHash, updatedAt: new Date() })
    .where(eq(users.id, input.id))
    .returning();
  return user ?? null;
}
