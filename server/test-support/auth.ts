/**
 * Signed-in callers for procedure tests: create an account, sign in through auth.login, and call procedures as that
 * user with `createCaller(createInnerContext(...))`, no HTTP. Passwords are hashed at a test-only argon2id cost
 * (`testPasswordHasher`) so suites stay fast; production always uses Bun's default cost.
 */

import type { LoginResult } from "../../shared/auth.ts";
import { authenticateRequest } from "../auth/authenticate.ts";
import { createPasswordHasher, type PasswordHasher } from "../auth/passwords.ts";
import { createInnerContext, type InnerContext } from "../http/trpc/init.ts";
import { createCaller } from "../http/trpc/root.ts";
import type { Services } from "../services.ts";

/** argon2id at 1 MiB and one pass: ~1 ms per hash instead of ~120 ms. Tests only. */
export const testPasswordHasher: PasswordHasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });

export const TEST_PASSWORD = "Correct-horse-9-battery";

let counter = 0;
/** A unique email for a test account. */
export function testEmail(label = "user"): string {
  counter += 1;
  return `${label}-${counter}-${Bun.randomUUIDv7().slice(-8)}@example.test`;
}

/**
 * A client IP of its own for each caller unless a test names one, so per-IP rate limits only meet the tests that
 * are about them.
 */
const uniqueIp = () => `test-${Bun.randomUUIDv7()}`;

/** A caller with no session (what an anonymous HTTP request gets). */
export function anonymousCaller(services: Services, overrides: Partial<Omit<InnerContext, "services">> = {}) {
  const ctx = createInnerContext(services, { passwords: testPasswordHasher, clientIp: uniqueIp(), ...overrides });
  return { ctx, caller: createCaller(ctx) };
}

/**
 * A caller authenticated by an access token exactly as an HTTP request with `Authorization: Bearer` would be. The
 * token is checked once, when the context is built (as per request over HTTP): to observe a revocation, build a new
 * caller.
 */
export async function callerWithToken(
  services: Services,
  accessToken: string,
  overrides: Partial<Omit<InnerContext, "services">> = {},
) {
  const auth = await authenticateRequest(services, new Headers({ authorization: `Bearer ${accessToken}` }));
  const ctx = createInnerContext(services, {
    passwords: testPasswordHasher,
    clientIp: uniqueIp(),
    user: auth.user,
    session: auth.session,
    authFailure: auth.failure,
    accessToken: auth.accessToken,
    ...overrides,
  });
  return { ctx, caller: createCaller(ctx) };
}

export interface SignedInUser {
  email: string;
  password: string;
  login: LoginResult;
  caller: ReturnType<typeof createCaller>;
  ctx: InnerContext;
}

/** Registers an account (the first one of a database becomes the superuser) and signs it in. */
export async function registerAndSignIn(
  services: Services,
  options: { email?: string; password?: string; fullName?: string; clientIp?: string } = {},
): Promise<SignedInUser> {
  const email = options.email ?? testEmail();
  const password = options.password ?? TEST_PASSWORD;
  // A fresh client IP per account keeps the per-IP register/login limits out of the way of unrelated tests.
  const clientIp = options.clientIp ?? uniqueIp();
  const { caller: anonymous } = anonymousCaller(services, { clientIp });
  await anonymous.auth.register({ email, password, fullName: options.fullName });
  const login = await anonymous.auth.login({ email, password });
  const { ctx, caller } = await callerWithToken(services, login.accessToken, { clientIp });
  return { email, password, login, caller, ctx };
}
