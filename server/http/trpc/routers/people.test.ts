/**
 * The people router over HTTP-less calls on PostgreSQL: owner-only (NOT_FOUND for another user's project and for an
 * id another project holds), bad input BAD_REQUEST on the field at fault, and the answers of the query modules
 * (their oracle tests are server/analytics/people/people.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { ZodError } from "zod";
import { encodePageCursor } from "../../../../shared/analytics.ts";
import { storeTestEvents, testEvent } from "../../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

const BASE = Date.now() - 2 * 86_400_000;
let t: TestServices;
let owner: SignedInUser;
let stranger: SignedInUser;
let projectId: string;
let strangerProjectId: string;

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "People" })).project.id;
  strangerProjectId = (await stranger.caller.projects.create({ name: "Theirs" })).project.id;
  const ev = (project: string, id: string, at: number, properties: Record<string, unknown>, eventName = "page_view") =>
    testEvent(project, { eventName, at, distinctId: id, sessionId: `s-${id}`, path: "/", properties });
  await storeTestEvents(t.services.db, [
    ev(projectId, "anon-1", BASE, { $set: { plan: "free" } }),
    ev(projectId, "ada", BASE + 60_000, { $anon_distinct_id: "anon-1", email: "ada@example.test" }, "identify"),
    ev(strangerProjectId, "secret-person", BASE, { $set: { plan: "hidden" } }),
  ]);
}, 60_000);

afterAll(async () => {
  await t.cleanup();
});

describe("people router", () => {
  it("answers the owner's people with traits and aliases", async () => {
    const page = await owner.caller.people.list({ projectId });
    expect(page.items.map((p) => [p.distinctId, p.aliases, p.traits])).toEqual([
      ["ada", ["anon-1"], { plan: "free", email: "ada@example.test" }],
    ]);
    const ada = await owner.caller.people.get({ projectId, distinctId: "anon-1" });
    expect(ada.distinctId).toBe("ada");
    expect(ada.sessions.map((s) => s.sessionId).sort()).toEqual(["s-ada", "s-anon-1"]);
    const events = await owner.caller.people.events({ projectId, distinctId: "ada" });
    expect(events.items.map((e) => [e.name, e.distinctId])).toEqual([
      ["identify", "ada"],
      ["page_view", "anon-1"],
    ]);
    expect(events.nextCursor).toBeNull();
  });

  it("answers NOT_FOUND for another user's project and for another project's person", async () => {
    const calls = [
      () => stranger.caller.people.list({ projectId }),
      () => stranger.caller.people.get({ projectId, distinctId: "ada" }),
      () => stranger.caller.people.events({ projectId, distinctId: "ada" }),
      () => owner.caller.people.get({ projectId, distinctId: "secret-person" }),
      () => owner.caller.people.events({ projectId, distinctId: "secret-person" }),
      () => owner.caller.people.get({ projectId, distinctId: "nobody" }),
    ];
    for (const call of calls) expect((await failure(call())).code).toBe("NOT_FOUND");
    expect((await owner.caller.people.list({ projectId, search: "secret" })).items).toEqual([]);
  });

  it("refuses bad input as BAD_REQUEST naming the field", async () => {
    const cases: Array<[() => Promise<unknown>, Array<Array<string | number>>]> = [
      [() => owner.caller.people.get({ projectId, distinctId: "" }), [["distinctId"]]],
      [() => owner.caller.people.get({ projectId, distinctId: "x".repeat(201) }), [["distinctId"]]],
      [() => owner.caller.people.events({ projectId, distinctId: "ada", cursor: "nope" }), [["cursor"]]],
      [() => owner.caller.people.list({ projectId, cursor: "nope" }), [["cursor"]]],
      [() => owner.caller.people.list({ projectId, search: "x".repeat(201) }), [["search"]]],
      [() => owner.caller.people.list({ projectId, limit: 0 }), [["limit"]]],
      [
        () => owner.caller.people.list({ projectId, from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }),
        [["from"]],
      ],
      [
        () =>
          owner.caller.people.list({
            projectId,
            filters: [{ dimension: "path", op: "eq", value: "" }],
          }),
        [["filters", 0, "value"]],
      ],
    ];
    for (const [call, paths] of cases) {
      const error = await failure(call());
      expect(error.code).toBe("BAD_REQUEST");
      expect((error.cause as ZodError).issues.map((issue) => issue.path)).toEqual(paths);
    }
    // One listing's cursor is not another's.
    const eventsCursor = encodePageCursor("events", { key: "1", id: "x" });
    const error = await failure(owner.caller.people.list({ projectId, cursor: eventsCursor }));
    expect((error.cause as ZodError).issues.map((issue) => issue.path)).toEqual([["cursor"]]);
  });
});
