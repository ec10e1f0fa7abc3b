import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { eq } from "drizzle-orm";
import { events, projects } from "../../../db/schema/index.ts";
import { anonymousCaller, callerWithToken, registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

// Setting up databases (and PGlite or a private redis-server) can take several seconds on a busy machine.
const HOOK_TIMEOUT_MS = 60_000;

const NEW_PASSWORD = "Another-Secret-42";

let t: TestServices;
let admin: SignedInUser;
let alice: SignedInUser;
let bob: SignedInUser;

beforeAll(async () => {
  t = await createTestServices();
  admin = await registerAndSignIn(t.services); // the first account: the superuser
  alice = await registerAndSignIn(t.services, { fullName: "Alice" });
  bob = await registerAndSignIn(t.services);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

/** Calls auth.me with a token, authenticated afresh as a new HTTP request would be. */
async function meWith(accessToken: string) {
  return (await callerWithToken(t.services, accessToken)).caller.auth.me();
}

/** Signs the account in again (a second session), returning its access token. */
async function secondSession(user: { email: string; password: string }): Promise<string> {
  const login = await anonymousCaller(t.services, { clientIp: `second-${Bun.randomUUIDv7()}` }).caller.auth.login({
    email: user.email,
    password: user.password,
  });
  return login.accessToken;
}

describe("users.list", () => {
  it("pages through every account for the superuser", async () => {
    expect(admin.login.user.isSuperuser).toBe(true);
    const all = await admin.caller.users.list({ limit: 100, offset: 0 });
    expect(all.total).toBeGreaterThanOrEqual(3);
    expect(all.items.map((u) => u.id)).toEqual(expect.arrayContaining([admin.login.user.id, alice.login.user.id]));
    expect(all.items.every((u) => !("passwordHash" in u))).toBe(true);
    const page = await admin.caller.users.list({ limit: 1, offset: 1 });
    expect(page.items).toEqual([all.items[1]!]);
    expect(page.total).toBe(all.total);
  });

  it("refuses a plain user", async () => {
    expect((await failure(alice.caller.users.list({ limit: 10, offset: 0 }))).code).toBe("FORBIDDEN");
  });

  it("refuses a caller without a token", async () => {
    expect((await failure(anonymousCaller(t.services).caller.users.list({ limit: 10, offset: 0 }))).code).toBe(
      "UNAUTHORIZED",
    );
  });

  it("refuses out-of-range paging with zod issues", async () => {
    const error = await failure(admin.caller.users.list({ limit: 1000, offset: -1 }));
    expect(error.code).toBe("BAD_REQUEST");
  });
});

describe("users.get", () => {
  it("returns one's own account, and any account to the superuser", async () => {
    expect(await alice.caller.users.get({ id: alice.login.user.id })).toEqual(alice.login.user);
    expect((await admin.caller.users.get({ id: alice.login.user.id })).email).toBe(alice.email);
  });

  it("answers NOT_FOUND for someone else's account, as for a missing one", async () => {
    const foreign = await failure(bob.caller.users.get({ id: alice.login.user.id }));
    const missing = await failure(bob.caller.users.get({ id: crypto.randomUUID() }));
    expect([foreign.code, foreign.message]).toEqual([missing.code, missing.message]);
  });

  it("refuses a caller without a token", async () => {
    expect((await failure(anonymousCaller(t.services).caller.users.get({ id: alice.login.user.id }))).code).toBe(
      "UNAUTHORIZED",
    );
  });
});

describe("users.update", () => {
  it("changes one's own name and email", async () => {
    const user = await registerAndSignIn(t.services);
    const email = `renamed-${Bun.randomUUIDv7().slice(-8)}@example.test`;
    const updated = await user.caller.users.update({ id: user.login.user.id, fullName: "New Name", email });
    expect([updated.fullName, updated.email]).toEqual(["New Name", email]);
    const cleared = await user.caller.users.update({ id: user.login.user.id, fullName: null });
    expect(cleared.fullName).toBeNull();
  });

  it("refuses an email another account has, in any case", async () => {
    const error = await failure(bob.caller.users.update({ id: bob.login.user.id, email: alice.email.toUpperCase() }));
    expect(error.code).toBe("CONFLICT");
  });

  it("answers NOT_FOUND when a plain user edits someone else", async () => {
    expect((await failure(bob.caller.users.update({ id: alice.login.user.id, fullName: "Hacked" }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await admin.caller.users.get({ id: alice.login.user.id })).fullName).toBe("Alice");
  });

  it("lets only the superuser disable an account, which ends its sessions at once", async () => {
    const user = await registerAndSignIn(t.services);
    expect((await failure(user.caller.users.update({ id: user.login.user.id, isActive: false }))).code).toBe(
      "FORBIDDEN",
    );
    const disabled = await admin.caller.users.update({ id: user.login.user.id, isActive: false });
    expect(disabled.isActive).toBe(false);
    expect((await failure(meWith(user.login.accessToken))).code).toBe("UNAUTHORIZED");
  });

  it("does not let the superuser disable themselves", async () => {
    expect((await failure(admin.caller.users.update({ id: admin.login.user.id, isActive: false }))).code).toBe(
      "BAD_REQUEST",
    );
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(
      anonymousCaller(t.services).caller.users.update({ id: alice.login.user.id, fullName: "x" }),
    );
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("users.changePassword", () => {
  it("changes the password, ends the other sessions and keeps this one", async () => {
    const user = await registerAndSignIn(t.services);
    const other = await secondSession(user);
    expect((await meWith(other)).id).toBe(user.login.user.id);

    expect(
      await user.caller.users.changePassword({ currentPassword: user.password, newPassword: NEW_PASSWORD }),
    ).toEqual({ ok: true });
    expect((await failure(meWith(other))).code).toBe("UNAUTHORIZED");
    // This session goes on, checked afresh from its token.
    expect((await meWith(user.login.accessToken)).id).toBe(user.login.user.id);
    // Only the new password signs in.
    const old = await failure(secondSession(user));
    expect(old.code).toBe("UNAUTHORIZED");
    expect((await meWith(await secondSession({ email: user.email, password: NEW_PASSWORD }))).id).toBe(
      user.login.user.id,
    );
  });

  it("refuses a wrong current password and a weak new one", async () => {
    const user = await registerAndSignIn(t.services);
    const wrong = await failure(
      user.caller.users.changePassword({ currentPassword: "Not-the-password-1", newPassword: NEW_PASSWORD }),
    );
    expect(wrong.code).toBe("BAD_REQUEST");
    const weak = await failure(
      user.caller.users.changePassword({ currentPassword: user.password, newPassword: "weak" }),
    );
    expect(weak.code).toBe("BAD_REQUEST");
    expect((await meWith(user.login.accessToken)).id).toBe(user.login.user.id);
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(
      anonymousCaller(t.services).caller.users.changePassword({ currentPassword: "x", newPassword: NEW_PASSWORD }),
    );
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("users.resetPassword", () => {
  it("sets the password for the superuser and ends all of that user's sessions", async () => {
    const user = await registerAndSignIn(t.services);
    expect(await admin.caller.users.resetPassword({ id: user.login.user.id, newPassword: NEW_PASSWORD })).toEqual({
      ok: true,
    });
    expect((await failure(meWith(user.login.accessToken))).code).toBe("UNAUTHORIZED");
    expect((await meWith(await secondSession({ email: user.email, password: NEW_PASSWORD }))).id).toBe(
      user.login.user.id,
    );
  });

  it("refuses a plain user", async () => {
    const error = await failure(bob.caller.users.resetPassword({ id: alice.login.user.id, newPassword: NEW_PASSWORD }));
    expect(error.code).toBe("FORBIDDEN");
  });

  it("answers NOT_FOUND for a missing user", async () => {
    const error = await failure(
      admin.caller.users.resetPassword({ id: crypto.randomUUID(), newPassword: NEW_PASSWORD }),
    );
    expect(error.code).toBe("NOT_FOUND");
  });

  it("refuses a caller without a token", async () => {
    const error = await failure(
      anonymousCaller(t.services).caller.users.resetPassword({ id: alice.login.user.id, newPassword: NEW_PASSWORD }),
    );
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("users.delete", () => {
  it("deletes an account with its projects and ends its sessions", async () => {
    const user = await registerAndSignIn(t.services);
    const { project } = await user.caller.projects.create({ name: "Orphan" });
    await t.services.db
      .insert(events)
      .values({ projectId: project.id, insertId: "e1", eventName: "pageview", timestamp: new Date() });
    expect(await admin.caller.users.delete({ id: user.login.user.id })).toEqual({ id: user.login.user.id });
    expect(await t.services.db.select().from(projects).where(eq(projects.id, project.id))).toEqual([]);
    expect(await t.services.db.select().from(events).where(eq(events.projectId, project.id))).toEqual([]);
    expect((await failure(meWith(user.login.accessToken))).code).toBe("UNAUTHORIZED");
    expect((await failure(admin.caller.users.get({ id: user.login.user.id }))).code).toBe("NOT_FOUND");
  });

  it("does not let the superuser delete themselves", async () => {
    expect((await failure(admin.caller.users.delete({ id: admin.login.user.id }))).code).toBe("BAD_REQUEST");
    expect((await meWith(admin.login.accessToken)).id).toBe(admin.login.user.id);
  });

  it("refuses a plain user", async () => {
    expect((await failure(bob.caller.users.delete({ id: alice.login.user.id }))).code).toBe("FORBIDDEN");
  });

  it("refuses a caller without a token", async () => {
    expect((await failure(anonymousCaller(t.services).caller.users.delete({ id: alice.login.user.id }))).code).toBe(
      "UNAUTHORIZED",
    );
  });
});
