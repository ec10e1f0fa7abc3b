import type { Database } from "../../db/client.ts";
import { passwordResetTokens } from "../../db/schema/index.ts";

/** Stores a reset token's hash for `userId`, valid until `expiresAt` (server/auth/password-reset.ts makes it). */
export async function createPasswordReset(
  db: Database,
  input: { userId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db.insert(passwordResetTokens).values(input);
}
