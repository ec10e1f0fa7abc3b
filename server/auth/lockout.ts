/**
 * Login lockout, in two tiers, so that nobody can lock an account they do not sign in from:
 *
 * - Per (account, client IP): 5 failed sign-ins lock that pair for 15 minutes. Another IP (the owner's) is not
 *   affected, so one attacker's IP cannot lock the administrator out.
 * - Per account, across all IPs: more than 50 failed sign-ins in a clock hour answer 429 with Retry-After to
 *   everyone until the hour ends, so a distributed attacker gets at most 50 guesses an hour. Attempts refused by the
 *   per-IP lock are not counted here, or one IP could reach this tier alone.
 *
 * Both counters are incremented BEFORE the password is checked (increment-then-check, atomic in the key store), so
 * parallel attempts get counts 1..n and only those under the limit ever reach a password check. A success clears the
 * per-IP counter and is counted apart for the hour (failures = attempts - successes), so an owner's scripts that sign
 * in often are never locked by their own successes. Emails with no account are counted the same way, and a lock
 * reads the same, so a lock reveals nothing about whether an account exists.
 *
 * Keys are hashes (of the lower-cased email, and of email and IP together), so the store holds neither addresses nor
 * IPs. An administrator's password reset starts a new lockout epoch for the account: per-IP counters of every IP are
 * named by it, so they all clear at once without listing keys.
 */
import type { KeyStore } from "../infra/key-store.ts";

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
export const MAX_ACCOUNT_FAILURES_PER_HOUR = 50;
const ACCOUNT_WINDOW_MS = 60 * 60 * 1000;
/** A reset's epoch must outlive every counter it replaces (15 min) by far; after it, the old names are long gone. */
const EPOCH_TTL_MS = 24 * 60 * 60 * 1000;

const sha256 = (value: string) => new Bun.CryptoHasher("sha256").update(value).digest("hex");
const normalise = (email: string) => email.trim().toLowerCase();

const keys = {
  epoch: (account: string) => `auth:login-epoch:${account}`,
  attempts: (account: string, epoch: string, clientIp: string) =>
    `auth:login-attempts:${sha256(`${account}\0${epoch}\0${clientIp}`)}`,
  accountAttempts: (account: string, hour: number) => `auth:login-account-attempts:${account}:${hour}`,
  accountSuccesses: (account: string, hour: number) => `auth:login-account-successes:${account}:${hour}`,
};

export type LoginAttempt =
  | {
      allowed: true;
      /** This attempt's count for the (account, IP) pair. */
      attempt: number;
      attemptsKey: string;
      successesKey: string;
    }
  | {
      allowed: false;
      /** Which tier refused: the caller's IP for this account, or the account as a whole. */
      lockedBy: "ip" | "account";
      retryAfterMs: number;
    };

/**
 * Counts an attempt for this email from this client IP. When `allowed` is false the caller must not check the
 * password. Rejects when the store is unreachable (the caller refuses the sign-in).
 */
export async function beginLoginAttempt(kv: KeyStore, email: string, clientIp: string): Promise<LoginAttempt> {
  const account = sha256(normalise(email));
  const epoch = (await kv.get(keys.epoch(account))) ?? "";
  const attemptsKey = keys.attempts(account, epoch, clientIp);
  const perIp = await kv.increment(attemptsKey, LOCKOUT_MS);
  if (perIp.value > MAX_FAILED_LOGINS) return { allowed: false, lockedBy: "ip", retryAfterMs: perIp.ttlMs };
  const hour = Math.floor(Date.now() / ACCOUNT_WINDOW_MS);
  const successesKey = keys.accountSuccesses(account, hour);
  const [attempts, successes] = await Promise.all([
    kv.increment(keys.accountAttempts(account, hour), ACCOUNT_WINDOW_MS),
    kv.get(successesKey),
  ]);
  if (attempts.value - Number(successes ?? 0) > MAX_ACCOUNT_FAILURES_PER_HOUR) {
    return { allowed: false, lockedBy: "account", retryAfterMs: attempts.ttlMs };
  }
  return { allowed: true, attempt: perIp.value, attemptsKey, successesKey };
}

/**
 * Records that an allowed attempt failed. The attempt that reaches the limit restarts the window, so the lock
 * lasts the full 15 minutes from the last failure rather than from the first.
 */
export async function recordFailedLogin(kv: KeyStore, attempt: LoginAttempt & { allowed: true }): Promise<void> {
  if (attempt.attempt >= MAX_FAILED_LOGINS) await kv.set(attempt.attemptsKey, String(attempt.attempt), LOCKOUT_MS);
}

/** After a successful sign-in: clears the counter of this IP and takes the success out of the account's hour. */
export async function recordSuccessfulLogin(kv: KeyStore, attempt: LoginAttempt & { allowed: true }): Promise<void> {
  await Promise.all([kv.del(attempt.attemptsKey), kv.increment(attempt.successesKey, ACCOUNT_WINDOW_MS)]);
}

/** Clears every lock of an account (an administrator reset its password): a new epoch and a fresh hour. */
export async function clearLoginAttempts(kv: KeyStore, email: string): Promise<void> {
  const account = sha256(normalise(email));
  const hour = Math.floor(Date.now() / ACCOUNT_WINDOW_MS);
  await kv.set(keys.epoch(account), crypto.randomUUID(), EPOCH_TTL_MS);
  await kv.del(keys.accountAttempts(account, hour), keys.accountSuccesses(account, hour));
}
