/**
 * Login lockout: 5 failed sign-ins lock an email for 15 minutes. The counter is incremented BEFORE the password is
 * checked (increment-then-check, atomic in the key store), so 50 parallel attempts get counts 1..50 and only the
 * first 5 ever reach a password check. A success clears the counter. Emails with no account are counted the same
 * way, so whether an account is locked reveals nothing about whether it exists.
 *
 * The key is a hash of the lower-cased email, so the store never holds addresses.
 */
import type { KeyStore } from "../infra/key-store.ts";

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

function attemptsKey(email: string): string {
  const digest = new Bun.CryptoHasher("sha256").update(email.trim().toLowerCase()).digest("hex");
  return `auth:login-attempts:${digest}`;
}

/**
 * Counts an attempt for this email. `allowed` is false when the attempt is over the limit: the caller must not
 * check the password. Rejects when the store is unreachable (the caller refuses the sign-in).
 */
export async function beginLoginAttempt(kv: KeyStore, email: string): Promise<{ allowed: boolean; attempt: number }> {
  const { value } = await kv.increment(attemptsKey(email), LOCKOUT_MS);
  return { allowed: value <= MAX_FAILED_LOGINS, attempt: value };
}

/**
 * Records that an allowed attempt failed. The attempt that reaches the limit restarts the window, so the lock
 * lasts the full 15 minutes from the last failure rather than from the first.
 */
export async function recordFailedLogin(kv: KeyStore, email: string, attempt: number): Promise<void> {
  if (attempt >= MAX_FAILED_LOGINS) await kv.set(attemptsKey(email), String(attempt), LOCKOUT_MS);
}

/** Clears the counter after a successful sign-in or a password reset. */
export async function clearLoginAttempts(kv: KeyStore, email: string): Promise<void> {
  await kv.del(attemptsKey(email));
}
