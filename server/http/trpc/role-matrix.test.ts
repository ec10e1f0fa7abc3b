/**
 * Every procedure x every role x own/foreign team. The procedure list is read from appRouter's definition, and each
 * one must be declared below: a new procedure without a declared rule fails the first test, so none is forgotten.
 *   allowed    the guard lets the call through (it may then succeed or fail on its input: BAD_REQUEST, a rule)
 *   FORBIDDEN  a member whose role is too small
 *   NOT_FOUND  not a member of the team (any role elsewhere): the same code and message as for a missing id
 * Calls that pass only the id are made on a fresh team per role when they change things (delete, rotate, leave).
 * The administrator (superuser) holds the owner role on every team (server/auth/effective-role.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { TRPCError } from "@trpc/server";
import { and, eq, ne } from "drizzle-orm";
import { roleAtLeast, TEAM_ROLES, type TeamRole } from "../../../shared/roles.ts";
import { teamMembers } from "../../db/schema/index.ts";
import { storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { appRouter } from "./root.ts";

const HOOK_TIMEOUT_MS = 60_000;

type Rule =
  | { kind: "project"; field: "projectId" | "id"; role: TeamRole; destructive?: boolean; extra?: object }
  | { kind: "team"; role: TeamRole; destructive?: boolean; extra?: object }
  | { kind: "other"; why: string };

/** The person every world's project holds (one event), for the calls that need an existing person. */
const MATRIX_PERSON = "matrix-person";

const project = (role: TeamRole, destructive = false, extra?: object): Rule => ({
  kind: "project",
  field: "projectId",
  role,
  destructive,
  extra,
});
const projectById = (role: TeamRole, destructive = false): Rule => ({
  kind: "project",
  field: "id",
  role,
  destructive,
});
const team = (role: TeamRole, options: { destructive?: boolean; extra?: object } = {}): Rule => ({
  kind: "team",
  role,
  ...options,
});

/** The rule of every procedure (tests elsewhere cover the "other" ones: auth, users, teams.list/create, invitations). */
const RULES: Record<string, Rule> = {
  "analytics.overview": project("viewer"),
  "analytics.timeseries": project("viewer"),
  "analytics.topEvents": project("viewer"),
  "analytics.breakdown": project("viewer"),
  "analytics.sessions": project("viewer"),
  "analytics.realtime": project("viewer"),
  "analytics.users": project("viewer"),
  "analytics.funnel": project("viewer"),
  "analytics.funnelPeople": project("viewer"),
  "analytics.retention": project("viewer"),
  "analytics.paths": project("viewer"),
  "analytics.entryExitPages": project("viewer"),
  "analytics.goals": project("viewer"),
  "goals.list": project("viewer"),
  "cohorts.list": project("viewer"),
  "cohorts.names": project("viewer"),
  "cohorts.get": project("viewer", false, { id: "00000000-0000-4000-8000-000000000000" }),
  "cohorts.create": project("editor", false, {
    name: "matrix cohort",
    definition: { groups: [{ conditions: [{ type: "trait", key: "plan", op: "is_set" }] }] },
  }),
  "cohorts.update": project("editor", false, { id: "00000000-0000-4000-8000-000000000000", name: "renamed" }),
  "cohorts.delete": project("editor", false, { id: "00000000-0000-4000-8000-000000000000" }),
  "goals.create": project("editor", false, { name: "matrix goal", event: "signup" }),
  "goals.delete": project("editor", false, { id: "00000000-0000-4000-8000-000000000000" }),
  "shares.create": project("admin"),
  "shares.list": project("admin"),
  "shares.revoke": project("admin"),
  "apiKeys.create": project("admin"),
  "apiKeys.list": project("admin"),
  "apiKeys.revoke": project("admin"),
  "people.list": project("viewer"),
  "people.get": project("viewer"),
  "people.events": project("viewer"),
  // A fresh project per role holding one person to delete (an unknown person would answer NOT_FOUND too).
  "people.delete": project("admin", true, { distinctId: MATRIX_PERSON }),
  "auth.wsTicket": project("viewer"),
  "projects.get": projectById("viewer"),
  "projects.update": projectById("admin"),
  "projects.rotateKey": projectById("admin", true),
  "projects.delete": projectById("owner", true),
  "projects.create": team("admin", { extra: { name: "created in the matrix" } }),
  "audit.list": team("admin"),
  "teams.rename": team("admin", { extra: { name: "" } }),
  "teams.delete": team("owner", { destructive: true }),
  "teams.members": team("viewer"),
  "teams.setRole": team("admin"),
  "teams.removeMember": team("admin"),
  "teams.leave": team("viewer", { destructive: true }),
  "teams.transferOwnership": team("owner"),
  "teams.invite": team("admin"),
  "teams.invitations": team("admin"),
  "teams.revokeInvitation": team("admin"),
  "auth.register": { kind: "other", why: "public" },
  "shares.open": { kind: "other", why: "whoever holds the share link (shares.test.ts)" },
  "auth.login": { kind: "other", why: "public" },
  "auth.refresh": { kind: "other", why: "public, the refresh cookie" },
  "auth.logout": { kind: "other", why: "public" },
  "auth.me": { kind: "other", why: "the caller's own account" },
  "auth.passwordResetMode": { kind: "other", why: "public" },
  "auth.requestPasswordReset": { kind: "other", why: "public, the same answer for any email (password-reset.test.ts)" },
  "auth.resetPasswordWithToken": { kind: "other", why: "whoever holds the mailed token (password-reset.test.ts)" },
  "projects.list": { kind: "other", why: "the caller's teams only (teams.test.ts)" },
  "teams.list": { kind: "other", why: "the caller's teams; all: administrator (teams.test.ts)" },
  "teams.create": { kind: "other", why: "any signed-in account" },
  "teams.invitation": { kind: "other", why: "whoever holds the link (teams.test.ts)" },
  "teams.acceptInvitation": { kind: "other", why: "the invited email only (teams.test.ts)" },
  "users.list": { kind: "other", why: "administrator (users.test.ts)" },
  "users.get": { kind: "other", why: "self or administrator (users.test.ts)" },
  "users.update": { kind: "other", why: "self or administrator (users.test.ts)" },
  "users.changePassword": { kind: "other", why: "self" },
  "users.resetPassword": { kind: "other", why: "administrator (users.test.ts)" },
  "users.delete": { kind: "other", why: "administrator (users.test.ts)" },
};

/** Procedures that take a team instead of a project too (read keys: `{ projectId } | { teamId }`), tested both ways. */
const ALSO_BY_TEAM: Record<string, Rule> = {
  "apiKeys.create": team("admin", { extra: { name: "matrix team key", scopes: ["stats:read"] } }),
  "apiKeys.list": team("admin"),
  "apiKeys.revoke": team("admin"),
};

const PROCEDURES = Object.keys(appRouter._def.procedures);
const CASES: Array<[path: string, rule: Rule | undefined]> = [
  ...PROCEDURES.map((path): [string, Rule | undefined] => [path, RULES[path]]),
  ...Object.entries(ALSO_BY_TEAM),
];

let t: TestServices;
let superuser: SignedInUser;
let worldOwner: SignedInUser;
const members = {} as Record<TeamRole, SignedInUser>;

interface World {
  teamId: string;
  projectId: string;
}

/** A team owned by worldOwner with one project, and one member of each role. */
async function makeWorld(label: string): Promise<World> {
  const created = await worldOwner.caller.teams.create({ name: label });
  const { project: p } = await worldOwner.caller.projects.create({ name: label, teamId: created.id });
  await t.services.db
    .insert(teamMembers)
    .values(TEAM_ROLES.map((role) => ({ teamId: created.id, userId: members[role].login.user.id, role })));
  await storeTestEvents(t.services.db, [testEvent(p.id, { at: Date.now() - 60_000, distinctId: MATRIX_PERSON })]);
  return { teamId: created.id, projectId: p.id };
}

function inputFor(rule: Exclude<Rule, { kind: "other" }>, world: World): Record<string, unknown> {
  if (rule.kind === "project") return { [rule.field]: world.projectId, ...(rule.extra ?? {}) };
  return { teamId: world.teamId, ...(rule.extra ?? {}) };
}

async function outcome(user: SignedInUser, path: string, input: unknown): Promise<{ code: string; message: string }> {
  const [group, name] = path.split(".") as [string, string];
  const caller = user.caller as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
  try {
    await caller[group]![name]!(input);
    return { code: "OK", message: "" };
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code, message: error.message };
    throw error;
  }
}

beforeAll(async () => {
  t = await createTestServices();
  superuser = await registerAndSignIn(t.services);
  worldOwner = await registerAndSignIn(t.services);
  for (const role of TEAM_ROLES) members[role] = await registerAndSignIn(t.services);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

describe("role matrix", () => {
  it("declares a rule for every procedure of appRouter, and none for a procedure that does not exist", () => {
    expect(PROCEDURES.filter((path) => !(path in RULES))).toEqual([]);
    expect(Object.keys(RULES).filter((path) => !PROCEDURES.includes(path))).toEqual([]);
    expect(Object.keys(ALSO_BY_TEAM).filter((path) => !PROCEDURES.includes(path))).toEqual([]);
  });

  for (const [path, rule] of CASES) {
    if (!rule || rule.kind === "other") continue;
    it(`${path} (by ${rule.kind}): needs ${rule.role}; FORBIDDEN below it, NOT_FOUND outside the team, as for a missing id`, async () => {
      let shared: World | null = null;
      const worldFor = async (label: string) => {
        if (rule.destructive) return makeWorld(`${path} ${label}`);
        shared ??= await makeWorld(path);
        return shared;
      };
      for (const role of TEAM_ROLES) {
        const world = await worldFor(role);
        const result = await outcome(members[role], path, inputFor(rule, world));
        if (roleAtLeast(role, rule.role)) {
          expect({ role, code: result.code }).not.toEqual({ role, code: "FORBIDDEN" });
          expect({ role, code: result.code }).not.toEqual({ role, code: "NOT_FOUND" });
        } else {
          expect({ role, code: result.code }).toEqual({ role, code: "FORBIDDEN" });
        }
      }
      // The administrator: owner rights on every team, without being a member.
      const adminResult = await outcome(superuser, path, inputFor(rule, await worldFor("administrator")));
      expect(["FORBIDDEN", "NOT_FOUND"]).not.toContain(adminResult.code);

      // Every role-holder of another team, on this one: not found, exactly like an id that does not exist.
      const foreign = await makeWorld(`${path} foreign`);
      const missing = { teamId: crypto.randomUUID(), projectId: crypto.randomUUID() };
      const expected = await outcome(members.viewer, path, inputFor(rule, missing));
      expect(expected.code).toBe("NOT_FOUND");
      // Nobody of `members` stays in `foreign`: only worldOwner is.
      await t.services.db
        .delete(teamMembers)
        .where(and(eq(teamMembers.teamId, foreign.teamId), ne(teamMembers.userId, worldOwner.login.user.id)));
      for (const role of TEAM_ROLES) {
        expect({ role, ...(await outcome(members[role], path, inputFor(rule, foreign))) }).toEqual({
          role,
          ...expected,
        });
      }
    });
  }
});
