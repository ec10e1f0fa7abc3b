/**
 * `bun run admin -- reset-password <email>`: gives the account a generated password, printed once, and ends all of
 * its sessions (every access and refresh token; open live feeds close through the access-revoked signal) and its
 * sign-in lockout. For an operator locked out of the dashboard, or a person who forgot their password where no SMTP
 * is configured. The administrator can do the same in the dashboard (users.resetPassword).
 */
import { randomBytes } from "node:crypto";
import { passwordSchema } from "../../shared/auth.ts";
import { clearLoginAttempts } from "../auth/lockout.ts";
import { defaultPasswordHasher, type PasswordHasher } from "../auth/passwords.ts";
import { endUserSessions } from "../auth/sessions.ts";
import { findUserByEmail } from "../queries/users/find-user-by-email.ts";
import { setUserPassword } from "../queries/users/set-user-password.ts";
import type { Services } from "../services.ts";

export const RESET_PASSWORD_USAGE = "Usage: bun run admin -- reset-password <email>";

/** A random password that meets the password rules (shared/auth.ts): 24 base64url characters plus a fixed tail. */
export function generatePassword(): string {
  for (;;) {
    const candidate = `${randomBytes(18).toString("base64url")}-7aA`;
    if (passwordSchema.safeParse(candidate).success) return candidate;
  }
}

/** Runs the command; the exit code: 0 done, 1 no such account, 2 usage. */
export async function runResetPassword(
  services: Services,
  args: string[],
  io: { out: (line: string) => void; err: (line: string) => void },
  passwords: PasswordHasher = defaultPasswordHasher,
): Promise<number> {
  const [email, ...extra] = args;
  if (!email || extra.length > 0) {
    io.err(RESET_PASSWORD_USAGE);
    return 2;
  }
  const user = await findUserByEmail(services.db, email);
  if (!user) {
    io.err(`No account with the email ${email}.`);
    return 1;
  }
  const password = generatePassword();
  await setUserPassword(services.db, { id: user.id, passwordHash: await passwords.hash(password) });
  await endUserSessions(services, user.id);
  await clearLoginAttempts(services.kv, user.email);
  io.out(`New password for ${user.email}: ${password}`);
  io.out("Every session of this account has ended. Pass the password on safely; they can change it after signing in.");
  return 0;
}
