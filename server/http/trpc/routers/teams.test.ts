import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { type AccessRevocation, subscribeAccessRevoked } from "../../../auth/access-revoked.ts";
import { queryRows } from "../../../db/client.ts";
import { teamInvitations } from "../../../db/schema/index.ts";
import {
  anonymousCaller,
  callerWithToken,
  registerAndSignIn,
  type SignedInUser,
  testEmail,
} from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

const HOOK_TIMEOUT_MS = 60_000;

let t: TestServices;
let superuser: SignedInUser;
let owner: SignedInUser;
let member: SignedInUser;
let other: SignedInUser;

beforeAll(async () => {
  t = await createTestServices({ DISABLE_REGISTRATION: "true" });
  superuser = await registerAndSignIn(t.services); // the first account: registration is open for it alone
  owner = await invitedAccount();
  member = await invitedAccount();
  other = await invitedAccount();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

/** With registration closed, accounts come in through an invitation the administrator makes. */
async function invitedAccount(): Promise<SignedInUser> {
  const email = testEmail("invited");
  const [personal] = await superuser.caller.teams.list();
  const { token } = await superuser.caller.teams.invite({ teamId: personal!.id, email, role: "viewer" });
  const { caller } = anonymousCaller(t.services);
  await caller.auth.register({ email, password: "Correct-horse-9-battery", invitationToken: token });
  const user = await registerAndSignInExisting(email);
  await user.caller.teams.leave({ teamId: personal!.id });
  return user;
}

async function registerAndSignInExisting(email: string): Promise<SignedInUser> {
  const { caller } = anonymousCaller(t.services);
  const login = await caller.auth.login({ email, password: "Correct-horse-9-battery" });
  const signed = await callerWithToken(t.services, login.accessToken);
  return { email, password: "Correct-horse-9-battery", login, ...signed };
}

async function newTeamWithProject(name: string) {
  const team = await owner.caller.teams.create({ name });
  const { project } = await owner.caller.projects.create({ name: `${name} site`, teamId: team.id });
  return { teamId: team.id, projectId: project.id };
}

async function join(user: SignedInUser, teamId: string, role: "viewer" | "editor" | "admin") {
  const { token } = await owner.caller.teams.invite({ teamId, email: user.email, role });
  await user.caller.teams.acceptInvitation({ token });
}

describe("personal teams", () => {
  it("every account has one; projects go there by default and list with the team's name", async () => {
    const [personal] = await owner.caller.teams.list();
    expect(personal).toMatchObject({ personal: true, role: "owner", memberCount: 1 });
    const { project } = await owner.caller.projects.create({ name: "mine" });
    expect(project.teamId).toBe(personal!.id);
    const listed = await owner.caller.projects.list();
    expect(listed.find((p) => p.id === project.id)).toMatchObject({ teamName: "Personal", role: "owner" });
    expect((await failure(owner.caller.teams.delete({ teamId: personal!.id }))).code).toBe("PRECONDITION_FAILED");
  });
});

describe("invitations", () => {
  it("are single-use, bound to the invited email, refused when expired or revoked", async () => {
    const { teamId, projectId } = await newTeamWithProject("invitations");
    const { token, url, mailed } = await owner.caller.teams.invite({ teamId, email: member.email, role: "editor" });
    expect(url).toBe(`/invite/${token}`);
    expect(mailed).toBe(false);
    const stored = await queryRows<{ token_hash: string }>(
      t.services.db,
      sql`select token_hash from team_invitations where team_id = ${teamId}`,
    );
    expect(stored[0]!.token_hash).not.toContain(token);
    expect(await anonymousCaller(t.services).caller.teams.invitation({ token })).toMatchObject({
      email: member.email,
      role: "editor",
      status: "pending",
      accountExists: true,
    });

    // Another account holding the link cannot use it.
    expect((await failure(other.caller.teams.acceptInvitation({ token }))).code).toBe("FORBIDDEN");
    expect((await failure(other.caller.projects.get({ id: projectId }))).code).toBe("NOT_FOUND");

    expect(await member.caller.teams.acceptInvitation({ token })).toEqual({ teamId });
    expect((await member.caller.projects.get({ id: projectId })).role).toBe("editor");
    // Replay: once only.
    expect((await failure(member.caller.teams.acceptInvitation({ token }))).code).toBe("CONFLICT");
    expect((await anonymousCaller(t.services).caller.teams.invitation({ token })).status).toBe("used");

    const expired = await owner.caller.teams.invite({ teamId, email: other.email, role: "viewer" });
    await t.services.db
      .update(teamInvitations)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(teamInvitations.id, expired.invitation.id));
    expect((await failure(other.caller.teams.acceptInvitation({ token: expired.token }))).code).toBe(
      "PRECONDITION_FAILED",
    );

    const revoked = await owner.caller.teams.invite({ teamId, email: other.email, role: "viewer" });
    expect((await owner.caller.teams.invitations({ teamId })).map((i) => i.id)).toContain(revoked.invitation.id);
    await owner.caller.teams.revokeInvitation({ teamId, id: revoked.invitation.id });
    expect((await failure(other.caller.teams.acceptInvitation({ token: revoked.token }))).code).toBe(
      "PRECONDITION_FAILED",
    );
    expect((await failure(other.caller.teams.acceptInvitation({ token: "not-a-token" }))).code).toBe("NOT_FOUND");
    // An invitation cannot make an owner.
    expect(
      (await failure(owner.caller.teams.invite({ teamId, email: other.email, role: "owner" as never }))).code,
    ).toBe("BAD_REQUEST");
  });

  it("let the invited email register while registration is closed, and only that email", async () => {
    const { teamId, projectId } = await newTeamWithProject("registration");
    const email = testEmail("newcomer");
    const { token } = await owner.caller.teams.invite({ teamId, email, role: "viewer" });
    const anonymous = anonymousCaller(t.services).caller;
    const closed = await failure(
      anonymous.auth.register({ email: testEmail("uninvited"), password: "Correct-horse-9-battery" }),
    );
    expect(closed.code).toBe("FORBIDDEN");
    const wrongEmail = await failure(
      anonymous.auth.register({
        email: testEmail("thief"),
        password: "Correct-horse-9-battery",
        invitationToken: token,
      }),
    );
    expect(wrongEmail.code).toBe("FORBIDDEN");
    await anonymous.auth.register({ email, password: "Correct-horse-9-battery", invitationToken: token });
    const newcomer = await registerAndSignInExisting(email);
    expect((await newcomer.caller.projects.get({ id: projectId })).role).toBe("viewer");
  });
});

describe("roles, removal, leaving and ownership", () => {
  it("keeps a last owner; removal ends access and announces it for every project of the team", async () => {
    const { teamId, projectId } = await newTeamWithProject("ownership");
    await join(member, teamId, "admin");
    const ownerId = owner.login.user.id;
    const memberId = member.login.user.id;

    expect((await failure(owner.caller.teams.leave({ teamId }))).code).toBe("PRECONDITION_FAILED");
    expect((await failure(owner.caller.teams.setRole({ teamId, userId: ownerId, role: "admin" }))).code).toBe(
      "PRECONDITION_FAILED",
    );
    // An admin cannot touch an owner, nor make one.
    expect((await failure(member.caller.teams.removeMember({ teamId, userId: ownerId }))).code).toBe("FORBIDDEN");
    expect((await failure(member.caller.teams.setRole({ teamId, userId: memberId, role: "owner" }))).code).toBe(
      "FORBIDDEN",
    );

    await owner.caller.teams.transferOwnership({ teamId, userId: memberId });
    const roles = Object.fromEntries((await owner.caller.teams.members({ teamId })).map((m) => [m.userId, m.role]));
    expect(roles).toEqual({ [ownerId]: "admin", [memberId]: "owner" });
    await member.caller.teams.transferOwnership({ teamId, userId: ownerId });

    const revocations: AccessRevocation[] = [];
    const unsubscribe = await subscribeAccessRevoked(t.services, (revocation) => revocations.push(revocation));
    try {
      await owner.caller.teams.removeMember({ teamId, userId: memberId });
      expect((await failure(member.caller.projects.get({ id: projectId }))).code).toBe("NOT_FOUND");
      expect((await failure(member.caller.teams.members({ teamId }))).code).toBe("NOT_FOUND");
      for (let i = 0; i < 50 && revocations.length === 0; i++) await Bun.sleep(20);
      expect(revocations).toContainEqual({ userId: memberId, projectId, reason: "team-member-removed" });
    } finally {
      await unsubscribe();
    }
  });

  it("refuses to delete a team with projects, deletes an empty one", async () => {
    const { teamId, projectId } = await newTeamWithProject("deletion");
    expect((await failure(owner.caller.teams.delete({ teamId }))).code).toBe("PRECONDITION_FAILED");
    await owner.caller.projects.delete({ id: projectId });
    expect(await owner.caller.teams.delete({ teamId })).toEqual({ id: teamId });
    expect((await failure(owner.caller.teams.members({ teamId }))).code).toBe("NOT_FOUND");
  });

  it("lists every team for the administrator only", async () => {
    const { teamId } = await newTeamWithProject("listing");
    expect((await superuser.caller.teams.list({ all: true })).map((team) => team.id)).toContain(teamId);
    expect((await superuser.caller.teams.list()).map((team) => team.id)).not.toContain(teamId);
    expect((await failure(owner.caller.teams.list({ all: true }))).code).toBe("FORBIDDEN");
  });
});

describe("account deletion", () => {
  it("is refused while the account is the only owner of a team with other members", async () => {
    const doomed = await invitedAccount();
    const team = await doomed.caller.teams.create({ name: "doomed's team" });
    const { project } = await doomed.caller.projects.create({ name: "kept", teamId: team.id });
    const { token } = await doomed.caller.teams.invite({ teamId: team.id, email: other.email, role: "admin" });
    await other.caller.teams.acceptInvitation({ token });

    const refused = await failure(superuser.caller.users.delete({ id: doomed.login.user.id }));
    expect(refused.code).toBe("CONFLICT");
    expect(refused.message).toContain("doomed's team");

    await doomed.caller.teams.transferOwnership({ teamId: team.id, userId: other.login.user.id });
    await superuser.caller.users.delete({ id: doomed.login.user.id });
    expect((await other.caller.projects.get({ id: project.id })).role).toBe("owner");
    expect((await other.caller.teams.members({ teamId: team.id })).map((m) => m.userId)).toEqual([other.login.user.id]);
  });
});

describe("audit.list", () => {
  it("records who did what to whom, pages by cursor, admins and up; the administrator reads every team", async () => {
    const { teamId, projectId } = await newTeamWithProject("audited");
    await join(member, teamId, "viewer");
    await owner.caller.teams.setRole({ teamId, userId: member.login.user.id, role: "editor" });
    await owner.caller.projects.rotateKey({ id: projectId });
    const share = await owner.caller.shares.create({ projectId });
    await owner.caller.shares.revoke({ projectId, id: share.id });
    const readKey = await owner.caller.apiKeys.create({ projectId, name: "CI dashboards", scopes: ["stats:read"] });
    await owner.caller.apiKeys.revoke({ projectId, id: readKey.id });
    expect((await failure(member.caller.audit.list({ teamId }))).code).toBe("FORBIDDEN");
    await owner.caller.teams.removeMember({ teamId, userId: member.login.user.id });
    await owner.caller.projects.delete({ id: projectId });

    const page = await owner.caller.audit.list({ teamId });
    expect(page.items.map((entry) => entry.action)).toEqual([
      "project.deleted",
      "member.removed",
      "read_key.revoked",
      "read_key.created",
      "share.revoked",
      "share.created",
      "project.key_rotated",
      "member.role_changed",
      "member.joined",
      "invitation.created",
      "project.created",
      "team.created",
    ]);
    expect(page.items.every((entry) => entry.teamId === teamId)).toBe(true);
    // A key is named by its name, never by the key itself.
    const keyEntry = page.items.find((entry) => entry.action === "read_key.created")!;
    expect(keyEntry.target).toBe("CI dashboards");
    expect(JSON.stringify(page.items)).not.toContain(readKey.key);
    expect(JSON.stringify(page.items)).not.toContain(share.token);
    const roleChange = page.items.find((entry) => entry.action === "member.role_changed")!;
    expect(roleChange).toMatchObject({
      actorUserId: owner.login.user.id,
      actorEmail: owner.email,
      target: member.email,
      details: { userId: member.login.user.id, from: "viewer", to: "editor" },
    });

    const first = await owner.caller.audit.list({ teamId, limit: 3 });
    const second = await owner.caller.audit.list({ teamId, limit: 3, cursor: first.nextCursor });
    expect([...first.items, ...second.items].map((entry) => entry.id)).toEqual(page.items.slice(0, 6).map((e) => e.id));

    expect((await failure(owner.caller.audit.list({}))).code).toBe("BAD_REQUEST");
    const all = await superuser.caller.audit.list({ limit: 200 });
    expect(new Set(all.items.map((entry) => entry.teamId)).size).toBeGreaterThan(1);
  });
});
