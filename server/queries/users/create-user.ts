import { count, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { users } from "../../db/schema/index.ts";
import { createTeam } from "../teams/create-team.ts";
import type { UserRow } from "./find-user-by-id.ts";
import { isUniqueViolation } from "./is-unique-violation.ts";

// Serialises registrations so "the first account becomes the superuser" and "registration closes once a user exists"
// hold even when two people register at the same instant. Fixed, and distinct from the migration lock.
const REGISTRATION_LOCK_KEY = 724_091_338;

/** The name a personal team starts with (its owner may rename it); the migration gives existing accounts the same. */
export const PERSONAL_TEAM_NAME = "Personal";

export type CreateUserResult =
  | { status: "created"; user: UserRow }
  | { status: "email-taken" }
  | { status: "registration-closed" };

/**
 * Creates an account with its personal team. The first account ever created becomes the superuser. With `closeWhenUsersExist` (the
 * DISABLE_REGISTRATION setting) only the first account can be created this way.
 */
export async function createUser(
  db: Database,
  input: { email: string; passwordHash: string; fullName: string | null; closeWhenUsersExist: boolean },
): Promise<CreateUserResult> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${REGISTRATION_LOCK_KEY})`);
      const [existing] = await tx.select({ n: count() }).from(users);
      const isFirst = (existing?.n ?? 0) === 0;
      if (!isFirst && input.closeWhenUsersExist) return { status: "registration-closed" as const };
      const [user] = await tx
        .insert(users)
        .values({
          email: input.email,
          passwordHash: input.passwordHash,
          fullName: input.fullName,
          isSuperuser: isFirst,
        })
        .returning();
      if (!user) throw new Error("insert into users returned no row");
      // Every account has a personal team, made with it: its own projects go there by default.
      await createTeam(tx, { name: PERSONAL_TEAM_NAME, ownerUserId: user.id, personal: true });
      return { status: "created" as const, user };
    });
  } catch (error) {
    if (isUniqueViolation(error, "users_email_lower_key")) return { status: "email-taken" };
    throw error;
  }
}
