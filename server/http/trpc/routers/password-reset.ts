/**
 * auth.passwordResetMode, auth.requestPasswordReset and auth.resetPasswordWithToken (merged into the auth router;
 * the contract is shared/password-reset.ts). The request answers the same whether or not the email has an account,
 * so accounts cannot be probed; tokens are stored as SHA-256 only, single-use, expiring.
 */
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import {
  PASSWORD_RESET_PATH,
  PASSWORD_RESET_TTL_MINUTES,
  type PasswordResetMode,
  requestPasswordResetInputSchema,
  resetPasswordWithTokenInputSchema,
} from "../../../../shared/password-reset.ts";
import { clearLoginAttempts } from "../../../auth/lockout.ts";
import { guardSessionStore } from "../../../auth/session-store-guard.ts";
import { endUserSessions } from "../../../auth/sessions.ts";
import { mailerFor } from "../../../infra/mailer.ts";
import { consumePasswordReset } from "../../../queries/password-resets/consume-password-reset.ts";
import { createPasswordReset } from "../../../queries/password-resets/create-password-reset.ts";
import { findUserByEmail } from "../../../queries/users/find-user-by-email.ts";
import { publicProcedure, rateLimited } from "../init.ts";

const hashToken = (token: string) => new Bun.CryptoHasher("sha256").update(token).digest("hex");

export const passwordResetProcedures = {
  /** Whether a forgotten password can be reset by email here (SMTP configured), for the login page. */
  passwordResetMode: publicProcedure.query(
    ({ ctx }): PasswordResetMode => ({ byEmail: mailerFor(ctx.services.config) !== null }),
  ),

  /** Mails a reset link when the email has an active account; answers { ok: true } either way. */
  requestPasswordReset: publicProcedure
    .use(rateLimited({ name: "password-reset-request", perMinute: 5 }))
    .input(requestPasswordResetInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ ok: true }> => {
      const { config, db, logger } = ctx.services;
      const send = mailerFor(config);
      if (!send)
        throw new TRPCError({
          code: "PRECONDITION_FAILED",
          message: "This server sends no mail: ask the administrator to reset your password.",
        });
      const user = await findUserByEmail(db, input.email);
      if (user?.isActive) {
        const token = randomBytes(32).toString("base64url");
        await createPasswordReset(db, {
          userId: user.id,
          tokenHash: hashToken(token),
          expiresAt: new Date(Date.now() + PASSWORD_RESET_TTL_MINUTES * 60_000),
        });
        const url = `${(config.PUBLIC_URL ?? "").replace(/\/+$/, "")}${PASSWORD_RESET_PATH}${token}`;
        try {
          await send({
            to: user.email,
            subject: "Reset your password",
            text:
              `Someone asked to reset the password of ${user.email}. If it was you, open:\n\n${url}\n\n` +
              `The link works once and expires in ${PASSWORD_RESET_TTL_MINUTES} minutes. If it was not you, ignore this mail.\n`,
          });
        } catch (error) {
          // Logged without the link; the answer stays the same so it reveals nothing about the account.
          logger.warn("could not mail a password reset link", { error });
        }
      }
      return { ok: true };
    }),

  /** Sets a new password with a mailed token (once); every session of the account ends, its lockout clears. */
  resetPasswordWithToken: publicProcedure
    .use(rateLimited({ name: "password-reset", perMinute: 10 }))
    .input(resetPasswordWithTokenInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ ok: true; email: string }> => {
      const { services } = ctx;
      const result = await consumePasswordReset(services.db, {
        tokenHash: hashToken(input.token),
        passwordHash: await ctx.passwords.hash(input.newPassword),
        now: new Date(),
      });
      if (!result)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "This reset link is not valid any more (used or expired): ask for a new one.",
        });
      await guardSessionStore(services.logger, "resetPasswordWithToken", async () => {
        await endUserSessions(services, result.userId);
        await clearLoginAttempts(services.kv, result.email);
      });
      return { ok: true, email: result.email };
    }),
};
