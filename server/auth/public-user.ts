import type { User } from "../../shared/auth.ts";
import type { UserRow } from "../queries/users/find-user-by-id.ts";

/** The user as it leaves the server: an explicit pick, so a password hash can never ride along. */
export function toPublicUser(
  row: Pick<UserRow, "id" | "email" | "fullName" | "isActive" | "isSuperuser" | "createdAt">,
): User {
  return {
    id: row.id,
    email: row.email,
    fullName: row.fullName,
    isActive: row.isActive,
    isSuperuser: row.isSuperuser,
    createdAt: row.createdAt.toISOString(),
  };
}
