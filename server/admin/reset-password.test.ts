import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { anonymousCaller, callerWithToken, registerAndSignIn, testPasswordHasher } from "../test-support/auth.ts";
import { createTestServices, type TestServices } from "../test-support/services.ts";
import { failure } from "../test-support/trpc-failure.ts";
import { runResetPassword } from "./reset-password.ts";

const HOOK_TIMEOUT_MS = 60_000;
let t: TestServices;

beforeAll(async () => {
  t = await createTestServices();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) } };
}

describe("admin reset-password", () => {
  it("prints a generated password that signs in, and ends every session of the account", async () => {
    const user = await registerAndSignIn(t.services);
    const { out, io } = capture();
    expect(await runResetPassword(t.services, [user.email.toUpperCase()], io, testPasswordHasher)).toBe(0);
    const password = out[0]!.split(": ")[1]!;
    expect(password.length).toBeGreaterThanOrEqual(24);

    const stale = await callerWithToken(t.services, user.login.accessToken);
    expect((await failure(stale.caller.auth.me())).code).toBe("UNAUTHORIZED");
    const anonymous = anonymousCaller(t.services).caller;
    expect((await failure(anonymous.auth.login({ email: user.email, password: user.password }))).code).toBe(
      "UNAUTHORIZED",
    );
    const login = await anonymous.auth.login({ email: user.email, password });
    expect(login.user.email).toBe(user.email);
  });

  it("exits 1 for an unknown email and 2 without one, changing nothing", async () => {
    const unknown = capture();
    expect(await runResetPassword(t.services, ["nobody@example.test"], unknown.io, testPasswordHasher)).toBe(1);
    expect(unknown.err[0]).toContain("No account");
    const usage = capture();
    expect(await runResetPassword(t.services, [], usage.io, testPasswordHasher)).toBe(2);
    expect(usage.out).toEqual([]);
  });
});
