/**
 * Password reset by email (when the server has SMTP configured): `auth.requestPasswordReset({ email })` mails a
 * single-use link `/reset-password/<token>`, valid PASSWORD_RESET_TTL_MINUTES; `auth.resetPasswordWithToken` sets
 * the new password and ends every session of the account. Without SMTP, `auth.passwordResetMode` answers
 * `{ byEmail: false }` and the login page tells people to ask the administrator (dashboard, or
 * `bun run admin -- reset-password <email>`).
 */
import { z } from "zod";
import { emailSchema, passwordSchema } from "./auth.ts";

export const PASSWORD_RESET_TTL_MINUTES = 60;
export const PASSWORD_RESET_PATH = "/reset-password/";

export const requestPasswordResetInputSchema = z.object({ email: emailSchema });
export const resetPasswordWithTokenInputSchema = z.object({
  token: z.string().min(1, { message: "token is required" }).max(200, { message: "token is too long" }),
  newPassword: passwordSchema,
});

export interface PasswordResetMode {
  byEmail: boolean;
}
