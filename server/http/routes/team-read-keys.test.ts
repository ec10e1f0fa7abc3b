/**
 * Team read keys (issue 19): `apiKeys.*` with `{ teamId }`. A team key reads every project of its team through the
 * Stats API and export, answers 404 on any other team's project (like a missing one), 401 once revoked, and keeps
 * its scopes; only the team's admins (and up) make, list and revoke them, and each action lands in the team's audit.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { eq } from "drizzle-orm";
import { readKeys } from "../../db/schema/index.ts";
import { storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { failure } from "../../test-support/trpc-failure.ts";
import { createApp } from "../app.ts";

const HOOK_TIMEOUT_MS = 60_000;
const BASE = Date.UTC(2026, 9, 1);
const FROM = new Date(BASE).toISOString();
const TO = new Date(BASE + 86_400_000).toISOString();

let t: TestServices;
let app: ReturnType<typeof createApp>;
let owner: SignedInUser;
let editor: SignedInUser;
let teamAdmin: SignedInUser;
let stranger: SignedInUser;
let teamId: string;
let firstProjectId: string;
let secondProjectId: string;
let foreignProjectId: string;

async function join(user: SignedInUser, role: "viewer" | "editor" | "admin") {
  const { token } = await owner.caller.teams.invite({ teamId, email: user.email, role });
  await user.caller.teams.acceptInvitation({ token });
}

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  app = createApp(t.services);
  owner = await registerAndSignIn(t.services);
  editor = await registerAndSignIn(t.services);
  teamAdmin = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  teamId = (await owner.caller.teams.create({ name: "Keys team" })).id;
  firstProjectId = (await owner.caller.projects.create({ name: "One", teamId })).project.id;
  secondProjectId = (await owner.caller.projects.create({ name: "Two", teamId })).project.id;
  // The owner's personal team: another team of the same person, which a team key must not reach.
  foreignProjectId = (await owner.caller.projects.create({ name: "Elsewhere" })).project.id;
  await join(editor, "editor");
  await join(teamAdmin, "admin");
  await storeTestEvents(t.services.db, [
    ...Array.from({ length: 3 }, (_, i) => testEvent(firstProjectId, { at: BASE + i * 60_000, distinctId: `a${i}` })),
    ...Array.from({ length: 5 }, (_, i) => testEvent(secondProjectId, { at: BASE + i * 60_000, distinctId: `b${i}` })),
    testEvent(foreignProjectId, { at: BASE }),
  ]);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

function aggregate(projectId: string, key: string) {
  return app.request(
    `http://localhost/api/v1/stats/aggregate?${new URLSearchParams({ project_id: projectId, from: FROM, to: TO })}`,
    {
      headers: { authorization: `Bearer ${key}` },
    },
  );
}

function exportEvents(projectId: string, key: string) {
  const query = new URLSearchParams({ projectId, from: FROM, to: TO, format: "ndjson" });
  return app.request(`http://localhost/api/v1/export/events?${query}`, { headers: { authorization: `Bearer ${key}` } });
}

describe("team read keys", () => {
  it("read every project of the team and answer 404 on another team's project", async () => {
    const { key } = await teamAdmin.caller.apiKeys.create({ teamId, name: "team CI", scopes: ["stats:read"] });
    const first = await aggregate(firstProjectId, key);
    expect(first.status).toBe(200);
    expect(((await first.json()) as { pageviews: number }).pageviews).toBe(3);
    const second = await aggregate(secondProjectId, key);
    expect(second.status).toBe(200);
    expect(((await second.json()) as { pageviews: number }).pageviews).toBe(5);
    const foreign = await aggregate(foreignProjectId, key);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ error: { message: "Project not found." } });
    // A project id that exists nowhere answers the same.
    expect((await aggregate("00000000-0000-4000-8000-000000000000", key)).status).toBe(404);
  });

  it("reach a project created in the team after the key", async () => {
    const { key } = await owner.caller.apiKeys.create({ teamId, name: "later", scopes: ["stats:read"] });
    const later = (await owner.caller.projects.create({ name: "Three", teamId })).project.id;
    expect((await aggregate(later, key)).status).toBe(200);
  });

  it("keep their scopes: export needs events:export, the Stats API stats:read", async () => {
    const statsOnly = (await owner.caller.apiKeys.create({ teamId, name: "stats", scopes: ["stats:read"] })).key;
    expect((await exportEvents(firstProjectId, statsOnly)).status).toBe(403);
    const exportOnly = (await owner.caller.apiKeys.create({ teamId, name: "export", scopes: ["events:export"] })).key;
    expect((await aggregate(firstProjectId, exportOnly)).status).toBe(403);
    const exported = await exportEvents(secondProjectId, exportOnly);
    expect(exported.status).toBe(200);
    expect((await exported.text()).trim().split("\n")).toHaveLength(5);
    expect((await exportEvents(foreignProjectId, exportOnly)).status).toBe(404);
  });

  it("answer 401 once revoked, and are listed and revoked by team id only", async () => {
    const created = await owner.caller.apiKeys.create({ teamId, name: "to revoke", scopes: ["stats:read"] });
    expect((await aggregate(firstProjectId, created.key)).status).toBe(200);
    const listed = await owner.caller.apiKeys.list({ teamId });
    expect(listed.map((k) => k.id)).toContain(created.id);
    // The team's key is not one of its projects' keys, so a project id does not list or revoke it.
    expect((await owner.caller.apiKeys.list({ projectId: firstProjectId })).map((k) => k.id)).not.toContain(created.id);
    expect((await failure(owner.caller.apiKeys.revoke({ projectId: firstProjectId, id: created.id }))).code).toBe(
      "NOT_FOUND",
    );
    await teamAdmin.caller.apiKeys.revoke({ teamId, id: created.id });
    expect((await aggregate(firstProjectId, created.key)).status).toBe(401);
    expect((await owner.caller.apiKeys.list({ teamId })).find((k) => k.id === created.id)?.revokedAt).not.toBeNull();
  });

  it("are made, listed and revoked by the team's admins only: FORBIDDEN below, NOT_FOUND outside", async () => {
    const { id } = await owner.caller.apiKeys.create({ teamId, name: "guarded", scopes: ["stats:read"] });
    for (const call of [
      () => editor.caller.apiKeys.create({ teamId, name: "x", scopes: ["stats:read"] }),
      () => editor.caller.apiKeys.list({ teamId }),
      () => editor.caller.apiKeys.revoke({ teamId, id }),
    ]) {
      expect((await failure(call())).code).toBe("FORBIDDEN");
    }
    for (const call of [
      () => stranger.caller.apiKeys.create({ teamId, name: "x", scopes: ["stats:read"] }),
      () => stranger.caller.apiKeys.list({ teamId }),
      () => stranger.caller.apiKeys.revoke({ teamId, id }),
    ]) {
      expect((await failure(call())).code).toBe("NOT_FOUND");
    }
  });

  it("take exactly one of projectId and teamId, naming the field", async () => {
    const both = await failure(
      owner.caller.apiKeys.create({ teamId, projectId: firstProjectId, name: "x", scopes: ["stats:read"] } as never),
    );
    expect(both.code).toBe("BAD_REQUEST");
    expect(both.message).toContain("projectId");
    const neither = await failure(owner.caller.apiKeys.list({} as never));
    expect(neither.code).toBe("BAD_REQUEST");
    expect(neither.message).toContain("projectId");
  });

  it("go with their team when it is deleted (read_keys has no foreign key)", async () => {
    const doomed = (await owner.caller.teams.create({ name: "Doomed" })).id;
    const { id } = await owner.caller.apiKeys.create({ teamId: doomed, name: "gone", scopes: ["stats:read"] });
    await owner.caller.teams.delete({ teamId: doomed });
    expect(await t.services.db.select().from(readKeys).where(eq(readKeys.id, id))).toEqual([]);
  });

  it("record the team (and no project) in the audit log", async () => {
    const created = await owner.caller.apiKeys.create({ teamId, name: "audited", scopes: ["stats:read"] });
    await owner.caller.apiKeys.revoke({ teamId, id: created.id });
    const { items } = await owner.caller.audit.list({ teamId });
    const mine = items.filter((e) => (e.details as { id?: string } | null)?.id === created.id);
    expect(mine.map((e) => e.action).sort()).toEqual(["read_key.created", "read_key.revoked"]);
    expect(mine.every((e) => e.projectId === null && e.teamId === teamId)).toBe(true);
  });
});
