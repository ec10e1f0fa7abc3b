import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { passwordResetTokens, users } from "../../db/schema/index.ts";

/**
 * Uses a reset token once: in one transaction the token row is locked, checked (unused, unexpired, its account
 * active), marked used, the account's other reset tokens are spent too, and the new password hash is stored.
 * Returns the account's id and email, or null when the token is unknown, used, expired or its account disabled.
 */
export async function consumePasswordReset(
  db: Database,
  input: { tokenHash: string; passwordHash: string; now: Date },
): Promise<{ userId: string; email: string } | null> {
  return db.transaction(async (tx) => {
    const [token] = await tx
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.tokenHash, input.tokenHash))
      .for("update");
    if (!token || token.usedAt || token.expiresAt.getTime() <= input.now.getTime()) return null;
    const [user] = await tx
      .update(users)
      .set({ passwordHash: input.passwordHash, updatedAt: input.now })
      .where(and(eq(users.id, token.userId), eq(users.isActive, true)))
      .returning({ id: users.id, email: users.email });
    if (!user) return null;
    await tx
      .update(passwordResetTokens)
      .set({ usedAt: input.now })
      .where(and(eq(passwordResetTokens.userId, token.userId), isNull(passwordResetTokens.usedAt)));
    return { userId: user.id, email: user.email };
  });
}
