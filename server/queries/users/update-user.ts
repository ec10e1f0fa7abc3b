import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { users } from "../../db/schema/index.ts";
import type { UserRow } from "./find-user-by-id.ts";
import { isUniqueViolation } from "./is-unique-violation.ts";

export type UpdateUserResult =
  | { status: "updated"; user: UserRow }
  | { status: "not-found" }
  | { status: "email-taken" };

/** Changes a user's profile fields; absent fields are left alone. */
export async function updateUser(
  db: Database,
  id: string,
  changes: { fullName?: string | null; email?: string; isActive?: boolean },
): Promise<UpdateUserResult> {
  try {
    const [user] = await db
      .update(users)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    return user ? { status: "updated", user } : { status: "not-found" };
  } catch (error) {
    if (isUniqueViolation(error, "users_email_lower_key")) return { status: "email-taken" };
    throw error;
  }
}
