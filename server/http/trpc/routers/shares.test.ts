import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { eq } from "drizzle-orm";
import { SHARE_SESSION_HEADER } from "../../../../shared/sharing.ts";
import { hashSecret } from "../../../auth/share-secrets.ts";
import { shares } from "../../../db/schema/index.ts";
import { storeTestEvents, testEvent } from "../../../test-support/analytics-test-data.ts";
import { anonymousCaller, registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";
import { callTrpcOverHttp } from "../../../test-support/trpc-http.ts";
import { createApp } from "../../app.ts";
import { redactSecretPaths } from "../../routes/share-page.ts";
import { SHARE_ENDED_MESSAGE } from "../read-grant.ts";
import { SHARE_PASSWORD_ATTEMPTS_PER_MINUTE } from "./shares.ts";

const HOOK_TIMEOUT_MS = 60_000;
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 9, 1);
const RANGE = { from: new Date(BASE).toISOString(), to: new Date(BASE + 7 * DAY).toISOString(), timezone: "UTC" };

let t: TestServices;
let app: ReturnType<typeof createApp>;
let owner: SignedInUser;
let stranger: SignedInUser;
let projectId: string;
let strangerProjectId: string;

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  app = createApp(t.services);
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "Shared shop" })).project.id;
  strangerProjectId = (await stranger.caller.projects.create({ name: "Other" })).project.id;
  const rows = [projectId, strangerProjectId].flatMap((id) =>
    Array.from({ length: 30 }, (_, i) =>
      testEvent(id, { at: BASE + i * 3_600_000, sessionId: `s${i % 5}`, distinctId: `u${i % 3}`, path: "/p" }),
    ),
  );
  await storeTestEvents(t.services.db, rows);
  await owner.caller.goals.create({ projectId, name: "Visited p", pathPattern: "/p" });
  await stranger.caller.goals.create({ projectId: strangerProjectId, name: "Stranger goal", event: "page_view" });
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

/** A share session for a new share of `projectId` (opened over HTTP, as the share page does). */
async function openSession(options: { password?: string } = {}) {
  const created = await owner.caller.shares.create({ projectId, password: options.password });
  const opened = await callTrpcOverHttp(app, "mutation", "shares.open", {
    token: created.token,
    password: options.password,
  });
  const data = opened.data as { status: string; session: string };
  expect(data.status).toBe("open");
  return { created, session: data.session, headers: { [SHARE_SESSION_HEADER]: data.session } };
}

describe("shares.create, list and revoke", () => {
  it("answers a random token and its url once, storing only the token's hash", async () => {
    const created = await owner.caller.shares.create({ projectId });
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.url).toBe(`/share/${created.token}`);
    const [row] = await t.services.db.select().from(shares).where(eq(shares.id, created.id));
    expect(row!.tokenHash).toBe(hashSecret(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const listed = await owner.caller.shares.list({ projectId });
    expect(listed.find((s) => s.id === created.id)).toMatchObject({ hasPassword: false, revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(created.token);
  });

  it("hashes a share's password like account passwords (argon2id)", async () => {
    const created = await owner.caller.shares.create({ projectId, password: "open sesame 42" });
    const [row] = await t.services.db.select().from(shares).where(eq(shares.id, created.id));
    expect(row!.passwordHash).toStartWith("$argon2id$");
  });

  it("revokes a share, which then shows as revoked", async () => {
    const created = await owner.caller.shares.create({ projectId });
    expect(await owner.caller.shares.revoke({ projectId, id: created.id })).toEqual({ revoked: true });
    const listed = await owner.caller.shares.list({ projectId });
    expect(listed.find((s) => s.id === created.id)?.revokedAt).not.toBeNull();
    expect((await failure(owner.caller.shares.revoke({ projectId, id: created.id }))).code).toBe("NOT_FOUND");
  });

  it("answers NOT_FOUND to anyone but the project's admins, and for a share of another project", async () => {
    const created = await owner.caller.shares.create({ projectId });
    expect((await failure(stranger.caller.shares.create({ projectId }))).code).toBe("NOT_FOUND");
    expect((await failure(stranger.caller.shares.list({ projectId }))).code).toBe("NOT_FOUND");
    expect((await failure(stranger.caller.shares.revoke({ projectId, id: created.id }))).code).toBe("NOT_FOUND");
    const error = await failure(stranger.caller.shares.revoke({ projectId: strangerProjectId, id: created.id }));
    expect(error.code).toBe("NOT_FOUND");
    expect((await failure(anonymousCaller(t.services).caller.shares.list({ projectId }))).code).toBe("UNAUTHORIZED");
  });

  it("refuses an expiry in the past, naming the field", async () => {
    const error = await failure(owner.caller.shares.create({ projectId, expiresAt: "2020-01-01T00:00:00Z" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("expiresAt");
  });
});

describe("GET /share/<token>", () => {
  const page = (token: string) => app.request(`http://localhost/share/${token}`);

  it("serves the page for a live token, never cached and sending no referrer", async () => {
    const created = await owner.caller.shares.create({ projectId });
    const res = await page(created.token);
    expect(res.status).not.toBe(404);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("answers 404 before any page for an unknown, an expired and a revoked token", async () => {
    expect((await page("no-such-token")).status).toBe(404);
    const expired = await owner.caller.shares.create({
      projectId,
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await t.services.db
      .update(shares)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(shares.id, expired.id));
    const revoked = await owner.caller.shares.create({ projectId });
    await owner.caller.shares.revoke({ projectId, id: revoked.id });
    for (const token of [expired.token, revoked.token]) {
      const res = await page(token);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('<div id="root"');
    }
  });

  it("keeps the token out of the paths it logs", () => {
    expect(redactSecretPaths("/share/AbCdEf123")).toBe("/share/[redacted]");
    expect(redactSecretPaths("/projects/1")).toBe("/projects/1");
  });
});

describe("shares.open", () => {
  it("answers NOT_FOUND for an unknown or revoked token", async () => {
    const { caller } = anonymousCaller(t.services);
    expect((await failure(caller.shares.open({ token: "nope" }))).code).toBe("NOT_FOUND");
    const created = await owner.caller.shares.create({ projectId });
    await owner.caller.shares.revoke({ projectId, id: created.id });
    expect((await failure(caller.shares.open({ token: created.token }))).code).toBe("NOT_FOUND");
  });

  it("asks for the password, refuses a wrong one and opens with the right one", async () => {
    const created = await owner.caller.shares.create({ projectId, password: "open sesame 42" });
    const { caller } = anonymousCaller(t.services);
    expect(await caller.shares.open({ token: created.token })).toEqual({ status: "password_required" });
    expect(await caller.shares.open({ token: created.token, password: "wrong guess" })).toEqual({
      status: "wrong_password",
    });
    const opened = await caller.shares.open({ token: created.token, password: "open sesame 42" });
    expect(opened).toMatchObject({ status: "open", projectId, projectName: "Shared shop" });
  });

  it("rate-limits password attempts per client IP", async () => {
    const created = await owner.caller.shares.create({ projectId, password: "open sesame 42" });
    const { caller } = anonymousCaller(t.services);
    for (let i = 0; i < SHARE_PASSWORD_ATTEMPTS_PER_MINUTE; i++) {
      expect((await caller.shares.open({ token: created.token, password: `guess ${i}` })).status).toBe(
        "wrong_password",
      );
    }
    const error = await failure(caller.shares.open({ token: created.token, password: "open sesame 42" }));
    expect(error.code).toBe("TOO_MANY_REQUESTS");
  });
});

/** Every read the share page makes, with its input for a given project id. */
const SHARE_PAGE_READS: Array<[string, (id: string) => Record<string, unknown>]> = [
  ["analytics.overview", (id) => ({ projectId: id, ...RANGE })],
  ["analytics.timeseries", (id) => ({ projectId: id, ...RANGE })],
  ["analytics.topEvents", (id) => ({ projectId: id, ...RANGE, limit: 10 })],
  ["analytics.breakdown", (id) => ({ projectId: id, ...RANGE, dimension: "path", limit: 10 })],
  ["analytics.breakdown", (id) => ({ projectId: id, ...RANGE, dimension: "country", limit: 10 })],
  ["analytics.entryExitPages", (id) => ({ projectId: id, ...RANGE, side: "entry" })],
  ["analytics.realtime", (id) => ({ projectId: id })],
  ["analytics.funnel", (id) => ({ projectId: id, ...RANGE, steps: [{ event: "page_view" }, { event: "page_view" }] })],
  ["goals.list", (id) => ({ projectId: id })],
  ["analytics.goals", (id) => ({ projectId: id, ...RANGE })],
];

describe("a share session", () => {
  it("reads every card of its own project, with the member's numbers", async () => {
    const { headers } = await openSession();
    for (const [path, input] of SHARE_PAGE_READS) {
      const shared = await callTrpcOverHttp(app, "query", path, input(projectId), headers);
      expect({ path, status: shared.status }).toEqual({ path, status: 200 });
      const member = await callTrpcOverHttp(app, "query", path, input(projectId), {
        authorization: `Bearer ${owner.login.accessToken}`,
      });
      expect(shared.data).toEqual(member.data);
    }
    const overview = await callTrpcOverHttp(app, "query", "analytics.overview", { projectId, ...RANGE }, headers);
    expect((overview.data as { totalEvents: number }).totalEvents).toBe(30);
  });

  it("answers NOT_FOUND for a forged project id in every request the share page makes", async () => {
    const { headers } = await openSession();
    for (const forged of [strangerProjectId, crypto.randomUUID()]) {
      for (const [path, input] of SHARE_PAGE_READS) {
        const answer = await callTrpcOverHttp(app, "query", path, input(forged), headers);
        expect({ path, code: answer.error?.data.code }).toEqual({ path, code: "NOT_FOUND" });
        expect(JSON.stringify(answer)).not.toContain("totalEvents");
        expect(JSON.stringify(answer)).not.toContain("Stranger goal");
      }
    }
  });

  it("is refused by every procedure that names a person, settings or keys", async () => {
    const { headers } = await openSession();
    const refused: Array<[kind: "query" | "mutation", string, unknown]> = [
      ["query", "analytics.sessions", { projectId, ...RANGE }],
      ["query", "analytics.users", { projectId, ...RANGE }],
      [
        "query",
        "analytics.funnelPeople",
        { projectId, ...RANGE, steps: [{ event: "page_view" }, { event: "x" }], step: 0 },
      ],
      ["query", "people.list", { projectId }],
      ["query", "projects.get", { id: projectId }],
      ["query", "projects.list", undefined],
      ["query", "shares.list", { projectId }],
      ["query", "apiKeys.list", { projectId }],
      ["mutation", "shares.create", { projectId }],
      ["mutation", "apiKeys.create", { projectId, name: "k", scopes: ["stats:read"] }],
      ["mutation", "projects.rotateKey", { id: projectId }],
      ["mutation", "auth.wsTicket", { projectId }],
    ];
    for (const [kind, path, input] of refused) {
      const answer = await callTrpcOverHttp(app, kind, path, input, headers);
      expect({ path, status: answer.status, code: answer.error?.data.code }).toEqual({
        path,
        status: 401,
        code: "UNAUTHORIZED",
      });
    }
    const exported = await app.request(
      `http://localhost/api/v1/export/events?projectId=${projectId}&period=30d&format=csv`,
      { headers },
    );
    expect(exported.status).toBe(401);
  });

  it("lists no custom property's values, which may name a person", async () => {
    const { headers } = await openSession();
    const goal = await owner.caller.goals.create({
      projectId,
      name: "Alice converted",
      event: "page_view",
      filters: [{ op: "eq", dimension: "property:email", value: "alice@example.com" }],
    });
    const goals = await callTrpcOverHttp(app, "query", "goals.list", { projectId }, headers);
    expect(goals.status).toBe(200);
    expect(JSON.stringify(goals.data)).not.toContain("alice@example.com");
    expect((goals.data as Array<{ id: string; filters: unknown[] }>).find((g) => g.id === goal.id)?.filters).toEqual(
      [],
    );
    await owner.caller.goals.delete({ projectId, goalId: goal.id });
    const byProperty = { projectId, ...RANGE, dimension: "property:email", limit: 10 };
    const answer = await callTrpcOverHttp(app, "query", "analytics.breakdown", byProperty, headers);
    expect(answer.error?.data.code).toBe("FORBIDDEN");
    const funnel = { projectId, ...RANGE, steps: [{ event: "a" }, { event: "b" }], breakdown: "property:email" };
    expect((await callTrpcOverHttp(app, "query", "analytics.funnel", funnel, headers)).error?.data.code).toBe(
      "FORBIDDEN",
    );
  });

  it("reads as the share even when the browser is also signed in", async () => {
    const { headers } = await openSession();
    const both = { ...headers, authorization: `Bearer ${owner.login.accessToken}` };
    const sessions = await callTrpcOverHttp(app, "query", "analytics.sessions", { projectId, ...RANGE }, both);
    expect(sessions.error?.data.code).toBe("UNAUTHORIZED");
  });

  it("ends at the next request once its share is revoked", async () => {
    const { created, headers } = await openSession();
    const input = { projectId, ...RANGE };
    expect((await callTrpcOverHttp(app, "query", "analytics.overview", input, headers)).status).toBe(200);
    await owner.caller.shares.revoke({ projectId, id: created.id });
    const after = await callTrpcOverHttp(app, "query", "analytics.overview", input, headers);
    expect(after.error?.data.code).toBe("UNAUTHORIZED");
    expect(after.error?.message).toBe(SHARE_ENDED_MESSAGE);
  });

  it("is refused when forged or altered", async () => {
    const { session } = await openSession();
    const [id, expires] = session.split(".");
    for (const forged of [`${id}.${expires}.AAAA`, `${crypto.randomUUID()}.${expires}.${session.split(".")[2]}`, "x"]) {
      const answer = await callTrpcOverHttp(
        app,
        "query",
        "analytics.overview",
        { projectId, ...RANGE },
        {
          [SHARE_SESSION_HEADER]: forged,
        },
      );
      expect(answer.error?.data.code).toBe("UNAUTHORIZED");
    }
  });

  it("needs the password when the share has one", async () => {
    const { headers } = await openSession({ password: "open sesame 42" });
    expect((await callTrpcOverHttp(app, "query", "analytics.overview", { projectId, ...RANGE }, headers)).status).toBe(
      200,
    );
  });
});
