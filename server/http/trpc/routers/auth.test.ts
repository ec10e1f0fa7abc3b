import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { eq } from "drizzle-orm";
import { ZodError } from "zod";
import { LOGIN_FAILED_MESSAGE } from "../../../../shared/auth.ts";
import { createPasswordHasher, type PasswordHasher } from "../../../auth/passwords.ts";
import { consumeWsTicket } from "../../../auth/ws-ticket.ts";
import { users } from "../../../db/schema/index.ts";
import {
  anonymousCaller,
  callerWithToken,
  registerAndSignIn,
  TEST_PASSWORD,
  testEmail,
  testPasswordHasher,
} from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

// Setting up databases (and PGlite or a private redis-server) can take several seconds on a busy machine.
const HOOK_TIMEOUT_MS = 60_000;

function setCookies(headers: Headers): Map<string, string> {
  return new Map(headers.getSetCookie().map((cookie) => [cookie.slice(0, cookie.indexOf("=")), cookie]));
}

/** A hasher that counts verifications against each stored hash (dummy checks are counted apart). */
function countingHasher(base: PasswordHasher = testPasswordHasher) {
  const checks = new Map<string, number>();
  let dummies = 0;
  const hasher: PasswordHasher = {
    hash: (password) => base.hash(password),
    verify: async (password, hash) => {
      checks.set(hash, (checks.get(hash) ?? 0) + 1);
      return base.verify(password, hash);
    },
    verifyDummy: async (password) => {
      dummies += 1;
      await base.verifyDummy(password);
    },
  };
  return { hasher, checksOf: (hash: string) => checks.get(hash) ?? 0, dummies: () => dummies };
}

let t: TestServices;

beforeAll(async () => {
  t = await createTestServices();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

describe("auth.register", () => {
  it(
    "makes the first account the superuser and later ones plain users, never returning a hash",
    async () => {
      const fresh = await createTestServices();
      try {
        const { caller } = anonymousCaller(fresh.services);
        const first = await caller.auth.register({ email: testEmail(), password: TEST_PASSWORD, fullName: "Ada" });
        const second = await caller.auth.register({ email: testEmail(), password: TEST_PASSWORD });
        expect(first.isSuperuser).toBe(true);
        expect(second.isSuperuser).toBe(false);
        expect(Object.keys(first).sort()).toEqual(["createdAt", "email", "fullName", "id", "isActive", "isSuperuser"]);
        expect(first.fullName).toBe("Ada");
        expect(new Date(first.createdAt).toISOString()).toBe(first.createdAt);
      } finally {
        await fresh.cleanup();
      }
    },
    HOOK_TIMEOUT_MS,
  );

  it(
    "makes exactly one superuser when the first accounts register at the same time",
    async () => {
      const fresh = await createTestServices();
      try {
        const created = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            anonymousCaller(fresh.services, { clientIp: `race-${i}` }).caller.auth.register({
              email: testEmail("race"),
              password: TEST_PASSWORD,
            }),
          ),
        );
        expect(created.filter((user) => user.isSuperuser)).toHaveLength(1);
      } finally {
        await fresh.cleanup();
      }
    },
    HOOK_TIMEOUT_MS,
  );

  it("refuses an email that exists in another case", async () => {
    const email = testEmail("Case");
    const { caller } = anonymousCaller(t.services, { clientIp: "register-case" });
    await caller.auth.register({ email, password: TEST_PASSWORD });
    const error = await failure(caller.auth.register({ email: email.toUpperCase(), password: TEST_PASSWORD }));
    expect(error.code).toBe("CONFLICT");
  });

  it("refuses a weak password with one zod issue per unmet rule", async () => {
    const { caller } = anonymousCaller(t.services, { clientIp: "register-weak" });
    const error = await failure(caller.auth.register({ email: testEmail(), password: "short" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.cause).toBeInstanceOf(ZodError);
    const messages = (error.cause as ZodError).issues.map((issue) => issue.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining("12 to 128 characters"),
        expect.stringContaining("uppercase"),
        expect.stringContaining("digit"),
        expect.stringContaining("symbol"),
      ]),
    );
  });

  it(
    "closes registration once a user exists when DISABLE_REGISTRATION is set",
    async () => {
      const fresh = await createTestServices({ DISABLE_REGISTRATION: "true" });
      try {
        const { caller } = anonymousCaller(fresh.services);
        const first = await caller.auth.register({ email: testEmail(), password: TEST_PASSWORD });
        expect(first.isSuperuser).toBe(true);
        const error = await failure(caller.auth.register({ email: testEmail(), password: TEST_PASSWORD }));
        expect(error.code).toBe("FORBIDDEN");
      } finally {
        await fresh.cleanup();
      }
    },
    HOOK_TIMEOUT_MS,
  );

  it("is limited to 5 registrations per minute per IP", async () => {
    const { caller } = anonymousCaller(t.services, { clientIp: "register-flood" });
    for (let i = 0; i < 5; i++) await caller.auth.register({ email: testEmail("flood"), password: TEST_PASSWORD });
    const error = await failure(caller.auth.register({ email: testEmail("flood"), password: TEST_PASSWORD }));
    expect(error.code).toBe("TOO_MANY_REQUESTS");
  });
});

describe("auth.login", () => {
  it("returns the user, an access token and its expiry, and sets the three cookies", async () => {
    const email = testEmail();
    const { caller, ctx } = anonymousCaller(t.services, { clientIp: "login-ok" });
    await caller.auth.register({ email, password: TEST_PASSWORD });
    const before = Date.now();
    const result = await caller.auth.login({ email, password: TEST_PASSWORD });
    expect(result.user.email).toBe(email);
    expect(result.accessToken.split(".")).toHaveLength(3);
    const expiresIn = new Date(result.expiresAt).getTime() - before;
    expect(expiresIn).toBeGreaterThan(29 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(30 * 60_000 + 1000);

    const cookies = setCookies(ctx.resHeaders);
    expect(cookies.get("access_token")).toContain(`access_token=${result.accessToken}`);
    expect(cookies.get("access_token")).toMatch(/HttpOnly/);
    expect(cookies.get("access_token")).toMatch(/Max-Age=1800/);
    expect(cookies.get("access_token")).toMatch(/SameSite=Lax/);
    expect(cookies.get("refresh_token")).toMatch(/HttpOnly/);
    expect(cookies.get("refresh_token")).toMatch(/Path=\/api\/trpc\/auth\.refresh(;|$)/);
    expect(cookies.get("refresh_token")).toMatch(/Max-Age=604800/);
    expect(cookies.get("logged_in")).toContain("logged_in=1");
    expect(cookies.get("logged_in")).not.toMatch(/HttpOnly/);
    // COOKIE_SECURE=false in tests; the attribute follows the setting.
    expect(cookies.get("access_token")).not.toMatch(/Secure/);
  });

  it("accepts the email in any case", async () => {
    const email = testEmail("Mixed");
    const { caller } = anonymousCaller(t.services, { clientIp: "login-case" });
    await caller.auth.register({ email, password: TEST_PASSWORD });
    const result = await caller.auth.login({ email: email.toUpperCase(), password: TEST_PASSWORD });
    expect(result.user.email).toBe(email);
  });

  it("answers an unknown email and a wrong password identically", async () => {
    const email = testEmail();
    const { caller } = anonymousCaller(t.services, { clientIp: "login-same" });
    await caller.auth.register({ email, password: TEST_PASSWORD });
    const unknown = await failure(caller.auth.login({ email: testEmail("nobody"), password: TEST_PASSWORD }));
    const wrong = await failure(caller.auth.login({ email, password: "Wrong-password-1" }));
    for (const error of [unknown, wrong]) {
      expect(error.code).toBe("UNAUTHORIZED");
      expect(error.message).toBe(LOGIN_FAILED_MESSAGE);
    }
  });

  it("locks the IP that failed 5 times, not the account: the right password from another IP signs in", async () => {
    const email = testEmail();
    await anonymousCaller(t.services).caller.auth.register({ email, password: TEST_PASSWORD });
    const attacker = anonymousCaller(t.services, { clientIp: "198.51.100.66" });
    for (let i = 0; i < 5; i++) await failure(attacker.caller.auth.login({ email, password: "Wrong-password-1" }));
    const locked = await failure(attacker.caller.auth.login({ email, password: TEST_PASSWORD }));
    expect(locked.code).toBe("TOO_MANY_REQUESTS");
    expect(locked.message).toBe("Too many attempts, try again in 15 minutes.");
    expect(Number(attacker.ctx.resHeaders.get("retry-after"))).toBeGreaterThan(14 * 60);
    expect(Number(attacker.ctx.resHeaders.get("retry-after"))).toBeLessThanOrEqual(15 * 60);
    const owner = anonymousCaller(t.services, { clientIp: "192.0.2.10" }).caller;
    expect((await owner.auth.login({ email, password: TEST_PASSWORD })).user.email).toBe(email);
  });

  it("reads the same lock for an email that has no account", async () => {
    const results = [];
    for (const email of [testEmail("exists"), testEmail("nobody")]) {
      if (email.startsWith("exists")) {
        await anonymousCaller(t.services).caller.auth.register({ email, password: TEST_PASSWORD });
      }
      const { caller, ctx } = anonymousCaller(t.services);
      for (let i = 0; i < 5; i++) await failure(caller.auth.login({ email, password: "Wrong-password-1" }));
      const error = await failure(caller.auth.login({ email, password: TEST_PASSWORD }));
      results.push({ code: error.code, message: error.message, retryAfter: Number(ctx.resHeaders.get("retry-after")) });
    }
    expect(results.map(({ code, message }) => `${code}:${message}`)).toEqual(
      Array(2).fill("TOO_MANY_REQUESTS:Too many attempts, try again in 15 minutes."),
    );
    for (const { retryAfter } of results) expect(retryAfter).toBeWithin(14 * 60, 15 * 60 + 1);
  });

  it("spends a password verification on an unknown email", async () => {
    const counting = countingHasher();
    const { caller } = anonymousCaller(t.services, { clientIp: "login-dummy", passwords: counting.hasher });
    await failure(caller.auth.login({ email: testEmail("ghost"), password: TEST_PASSWORD }));
    expect(counting.dummies()).toBe(1);
  });

  it("takes comparable time for an unknown email and a wrong password at the production cost", async () => {
    const email = testEmail();
    const production = createPasswordHasher();
    const { caller } = anonymousCaller(t.services, { clientIp: "login-timing", passwords: production });
    await caller.auth.register({ email, password: TEST_PASSWORD });
    await failure(caller.auth.login({ email: testEmail("warm"), password: "x" })); // builds the dummy hash once
    const time = async (run: () => Promise<unknown>) => {
      const start = performance.now();
      await failure(run());
      return performance.now() - start;
    };
    const unknown = await time(() => caller.auth.login({ email: testEmail("ghost"), password: "Wrong-password-1" }));
    const wrong = await time(() => caller.auth.login({ email, password: "Wrong-password-1" }));
    expect(Math.min(unknown, wrong) / Math.max(unknown, wrong)).toBeGreaterThan(0.5);
  }, 20_000);

  it("locks after 5 failures: 50 parallel attempts from one IP reach at most 5 checks of the real hash", async () => {
    const email = testEmail("target");
    await anonymousCaller(t.services, { clientIp: "lock-setup" }).caller.auth.register({
      email,
      password: TEST_PASSWORD,
    });
    const [row] = await t.services.db.select().from(users).where(eq(users.email, email));
    const counting = countingHasher();
    const errors = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        failure(
          anonymousCaller(t.services, { clientIp: "attacker", passwords: counting.hasher }).caller.auth.login({
            email,
            password: `Wrong-password-${i}!`,
          }),
        ),
      ),
    );
    expect(counting.checksOf(row!.passwordHash)).toBe(5);
    // The per-minute limit of the IP refuses 40 before the lockout is asked; of the other 10, five are locked and
    // spent a dummy check instead, so a locked account answers as slowly as a wrong password.
    expect(counting.dummies()).toBe(5);
    expect(errors.filter((e) => e.code === "UNAUTHORIZED").map((e) => e.message)).toEqual(
      Array(5).fill(LOGIN_FAILED_MESSAGE),
    );
    expect(errors.filter((e) => e.code === "TOO_MANY_REQUESTS")).toHaveLength(45);
    expect(errors.filter((e) => e.message === "Too many attempts, try again in 15 minutes.")).toHaveLength(5);
  });

  it("caps an account at 50 failures an hour across IPs, then answers 429 to a fresh IP too", async () => {
    const email = testEmail("target");
    const other = testEmail("bystander");
    const setup = anonymousCaller(t.services).caller;
    await setup.auth.register({ email, password: TEST_PASSWORD });
    await setup.auth.register({ email: other, password: TEST_PASSWORD });
    const [row] = await t.services.db.select().from(users).where(eq(users.email, email));
    const counting = countingHasher();
    // Every attempt from its own IP, as a distributed attacker would: neither per-IP rule plays a part.
    const errors = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        failure(
          anonymousCaller(t.services, { clientIp: `attacker-${i}`, passwords: counting.hasher }).caller.auth.login({
            email,
            password: `Wrong-password-${i}!`,
          }),
        ),
      ),
    );
    expect(counting.checksOf(row!.passwordHash)).toBe(50);
    expect(errors.filter((e) => e.code === "TOO_MANY_REQUESTS")).toHaveLength(10);
    // The owner, from a fresh IP, is paused too (the password is not even checked), and told for how long.
    const owner = anonymousCaller(t.services, { clientIp: "owner", passwords: counting.hasher });
    const locked = await failure(owner.caller.auth.login({ email, password: TEST_PASSWORD }));
    expect(locked.code).toBe("TOO_MANY_REQUESTS");
    expect(locked.message).toMatch(/^Too many attempts, try again in \d+ minutes?\.$/);
    const retryAfter = Number(owner.ctx.resHeaders.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(counting.checksOf(row!.passwordHash)).toBe(50);
    // Another account signs in from that same IP.
    const bystander = anonymousCaller(t.services, { clientIp: "owner" }).caller;
    expect((await bystander.auth.login({ email: other, password: TEST_PASSWORD })).user.email).toBe(other);
  });

  it("refuses a disabled account with the same answer, and stops its tokens", async () => {
    const user = await registerAndSignIn(t.services);
    await t.services.db.update(users).set({ isActive: false }).where(eq(users.id, user.login.user.id));
    const error = await failure(
      anonymousCaller(t.services, { clientIp: "disabled" }).caller.auth.login({
        email: user.email,
        password: user.password,
      }),
    );
    expect(error.message).toBe(LOGIN_FAILED_MESSAGE);
    const { caller } = await callerWithToken(t.services, user.login.accessToken);
    expect((await failure(caller.auth.me())).code).toBe("UNAUTHORIZED");
  });

  it("is limited to 10 attempts per minute per IP", async () => {
    // The window is a fixed clock minute: start well inside one so the 11 calls share it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await Bun.sleep(60_500 - intoMinute);
    const { caller } = anonymousCaller(t.services, { clientIp: "login-flood" });
    // A different email each time, so the per-account lockout (5 failures) never answers first.
    for (let i = 0; i < 10; i++) {
      const error = await failure(caller.auth.login({ email: testEmail(`flood-${i}`), password: "x" }));
      expect(error.code).toBe("UNAUTHORIZED");
    }
    const error = await failure(caller.auth.login({ email: testEmail("flood-10"), password: "x" }));
    expect(error.code).toBe("TOO_MANY_REQUESTS");
    expect(error.message).not.toContain("Too many attempts, try again in");
  }, 30_000);
});

describe("auth.me", () => {
  it("returns the signed-in user", async () => {
    const user = await registerAndSignIn(t.services);
    expect(await user.caller.auth.me()).toEqual(user.login.user);
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(anonymousCaller(t.services).caller.auth.me());
    expect(error.code).toBe("UNAUTHORIZED");
  });

  it("refuses a forged, a truncated and a garbage token", async () => {
    const user = await registerAndSignIn(t.services);
    const [header, payload] = user.login.accessToken.split(".");
    const forged = `${header}.${payload}.${"A".repeat(43)}`;
    for (const token of [forged, "not-a-jwt", `${header}.${payload}`]) {
      const { caller, ctx } = await callerWithToken(t.services, token);
      expect((await failure(caller.auth.me())).code).toBe("UNAUTHORIZED");
      expect(ctx.authFailure).not.toBeNull();
    }
  });
});

describe("auth.refresh", () => {
  async function signInWithCookies() {
    const email = testEmail();
    const { caller, ctx } = anonymousCaller(t.services, { clientIp: `refresh-${Bun.randomUUIDv7()}` });
    await caller.auth.register({ email, password: TEST_PASSWORD });
    const login = await caller.auth.login({ email, password: TEST_PASSWORD });
    const refreshToken = setCookies(ctx.resHeaders).get("refresh_token")!.split(";")[0]!.split("=")[1]!;
    return { login, refreshToken };
  }

  const refreshWith = (refreshToken: string) => {
    const { caller, ctx } = anonymousCaller(t.services, { refreshToken, clientIp: `r-${Bun.randomUUIDv7()}` });
    return { call: () => caller.auth.refresh(), ctx };
  };

  it("rotates both tokens", async () => {
    const { login, refreshToken } = await signInWithCookies();
    const { call, ctx } = refreshWith(refreshToken);
    const refreshed = await call();
    const cookies = setCookies(ctx.resHeaders);
    const newRefresh = cookies.get("refresh_token")!.split(";")[0]!.split("=")[1]!;
    expect(refreshed.accessToken).not.toBe(login.accessToken);
    expect(newRefresh).not.toBe(refreshToken);
    expect(cookies.get("access_token")).toContain(refreshed.accessToken);
    const { caller } = await callerWithToken(t.services, refreshed.accessToken);
    expect((await caller.auth.me()).id).toBe(login.user.id);
    // The new refresh token works in turn.
    expect((await refreshWith(newRefresh).call()).user.id).toBe(login.user.id);
  });

  it("treats a reused refresh token as theft and ends the whole session", async () => {
    const { refreshToken } = await signInWithCookies();
    const first = refreshWith(refreshToken);
    await first.call();
    const newRefresh = setCookies(first.ctx.resHeaders).get("refresh_token")!.split(";")[0]!.split("=")[1]!;
    const second = refreshWith(newRefresh);
    const rotated = await second.call();
    const newest = setCookies(second.ctx.resHeaders).get("refresh_token")!.split(";")[0]!.split("=")[1]!;

    // The first token's successor has been used, so its grace is over: presenting it again is a copy.
    const replay = await failure(refreshWith(refreshToken).call());
    expect(replay.code).toBe("UNAUTHORIZED");
    expect(replay.message).toContain("ended for safety");
    // Everything of that session is dead: the current refresh token and the access token issued with it.
    expect((await failure(refreshWith(newest).call())).code).toBe("UNAUTHORIZED");
    const { caller } = await callerWithToken(t.services, rotated.accessToken);
    expect((await failure(caller.auth.me())).code).toBe("UNAUTHORIZED");
  });

  it("answers two parallel uses of a refresh token with the same new pair, both signed in", async () => {
    const { login, refreshToken } = await signInWithCookies();
    const calls = [refreshWith(refreshToken), refreshWith(refreshToken)];
    const results = await Promise.all(calls.map((c) => c.call()));
    const refreshCookies = calls.map((c) => setCookies(c.ctx.resHeaders).get("refresh_token")!.split(";")[0]);
    expect(results[0]!.accessToken).toBe(results[1]!.accessToken);
    expect(refreshCookies[0]).toBe(refreshCookies[1]!);
    for (const result of results) {
      const { caller } = await callerWithToken(t.services, result.accessToken);
      expect((await caller.auth.me()).id).toBe(login.user.id);
    }
    const shared = refreshCookies[0]!.split("=")[1]!;
    expect((await refreshWith(shared).call()).user.id).toBe(login.user.id);
  });

  it("refuses without a refresh token, naming the unbatched rule for batched calls", async () => {
    expect((await failure(anonymousCaller(t.services).caller.auth.refresh())).code).toBe("UNAUTHORIZED");
    const batched = await failure(anonymousCaller(t.services, { isBatchCall: true }).caller.auth.refresh());
    expect(batched.message).toContain("/api/trpc/auth.refresh");
  });

  it("refuses an access token presented as a refresh token", async () => {
    const { login } = await signInWithCookies();
    expect((await failure(refreshWith(login.accessToken).call())).code).toBe("UNAUTHORIZED");
  });
});

describe("auth.logout", () => {
  it("stops the access token at once and clears the cookies", async () => {
    const user = await registerAndSignIn(t.services);
    expect((await user.caller.auth.me()).id).toBe(user.login.user.id);
    await user.caller.auth.logout();
    const cleared = setCookies(user.ctx.resHeaders);
    for (const name of ["access_token", "refresh_token", "logged_in"]) expect(cleared.get(name)).toMatch(/Max-Age=0/);
    const { caller } = await callerWithToken(t.services, user.login.accessToken);
    expect((await failure(caller.auth.me())).code).toBe("UNAUTHORIZED");
  });

  it("succeeds without a session, so a signed-out browser can always clear its cookies", async () => {
    const { caller, ctx } = anonymousCaller(t.services);
    expect(await caller.auth.logout()).toEqual({ ok: true });
    expect(setCookies(ctx.resHeaders).get("logged_in")).toMatch(/Max-Age=0/);
  });
});

describe("auth.wsTicket", () => {
  it("issues a single-use ticket for one of the caller's projects", async () => {
    const user = await registerAndSignIn(t.services);
    const { project } = await user.caller.projects.create({ name: "Live" });
    const issued = await user.caller.auth.wsTicket({ projectId: project.id });
    expect(new Date(issued.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(30_000);
    const [a, b] = await Promise.all([
      consumeWsTicket(t.services, issued.ticket),
      consumeWsTicket(t.services, issued.ticket),
    ]);
    expect([a, b].filter(Boolean)).toEqual([
      { projectId: project.id, userId: user.login.user.id, sessionId: user.ctx.session!.id },
    ]);
  });

  it("refuses a ticket once its session has logged out", async () => {
    const user = await registerAndSignIn(t.services);
    const { project } = await user.caller.projects.create({ name: "Live" });
    const { ticket } = await user.caller.auth.wsTicket({ projectId: project.id });
    await user.caller.auth.logout();
    expect(await consumeWsTicket(t.services, ticket)).toBeNull();
  });

  it("answers NOT_FOUND for another user's project", async () => {
    const owner = await registerAndSignIn(t.services);
    const other = await registerAndSignIn(t.services);
    const { project } = await owner.caller.projects.create({ name: "Private" });
    expect((await failure(other.caller.auth.wsTicket({ projectId: project.id }))).code).toBe("NOT_FOUND");
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(anonymousCaller(t.services).caller.auth.wsTicket({ projectId: crypto.randomUUID() }));
    expect(error.code).toBe("UNAUTHORIZED");
  });

  it("returns null for unknown or malformed tickets", async () => {
    expect(await consumeWsTicket(t.services, "x".repeat(43))).toBeNull();
    expect(await consumeWsTicket(t.services, "../../etc")).toBeNull();
  });
});
