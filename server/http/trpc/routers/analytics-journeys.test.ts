/**
 * analytics.retention and analytics.paths through tRPC: the owner's answers, refusals naming the field, NOT_FOUND
 * for anyone else's project, PRECONDITION_FAILED while the upgrade backfill runs. The numbers themselves are held
 * to raw events in server/analytics/retention and server/analytics/paths.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import type { ZodError } from "zod";
import { storeTestEvents, testEvent } from "../../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

const DAY = 86_400_000;
let t: TestServices;
let owner: SignedInUser;
let stranger: SignedInUser;
let projectId: string;

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "Journeys" })).project.id;
  const today = Date.now() - (Date.now() % DAY);
  const rows = [];
  for (let u = 0; u < 6; u++) {
    for (const [day, path] of [
      [-3, "/"],
      [-3, "/pricing"],
      [-1, "/"],
      [-1, "/signup"],
    ] as const) {
      if (day === -1 && u % 2 === 1) continue;
      rows.push(
        testEvent(projectId, {
          at: today + day * DAY + u * 60_000,
          distinctId: `p${u}`,
          sessionId: `s${u}${day}`,
          path,
        }),
      );
    }
  }
  await storeTestEvents(t.services.db, rows, 50);
}, 60_000);

afterAll(async () => {
  await t.cleanup();
});

const issuePaths = (error: { cause?: unknown }) =>
  (error.cause as ZodError).issues.map((issue) => issue.path.join("."));

describe("analytics.retention", () => {
  it("answers the owner's daily cohorts", async () => {
    const answer = await owner.caller.analytics.retention({ projectId, period: "7d", interval: "day", periods: 3 });
    const sized = answer.cohorts.filter((cohort) => cohort.size > 0);
    expect(sized.map((cohort) => cohort.returned.slice(0, 3))).toEqual([[6, 0, 3]]);
  });

  it("refuses periods outside 1-30, an unknown interval and an empty event name, naming the field", async () => {
    for (const [fields, path] of [
      [{ periods: 0 }, "periods"],
      [{ periods: 31 }, "periods"],
      [{ periods: 2.5 }, "periods"],
      [{ interval: "month" }, "interval"],
      [{ startEvent: "" }, "startEvent"],
      [{ returnEvent: "" }, "returnEvent"],
    ] as const) {
      const error = await failure(owner.caller.analytics.retention({ projectId, ...(fields as object) }));
      expect({ fields, code: error.code, paths: issuePaths(error) }).toEqual({
        fields,
        code: "BAD_REQUEST",
        paths: [path],
      });
    }
  });

  it("answers NOT_FOUND for another owner's project", async () => {
    expect((await failure(stranger.caller.analytics.retention({ projectId }))).code).toBe("NOT_FOUND");
  });
});

describe("analytics.paths", () => {
  it("answers the owner's flow", async () => {
    const answer = await owner.caller.analytics.paths({ projectId, start: { kind: "page", value: "/" }, steps: 2 });
    expect(answer.nodes).toEqual([
      { step: 0, value: "/", sessions: 9 },
      { step: 1, value: "/pricing", sessions: 6 },
      { step: 1, value: "/signup", sessions: 3 },
      { step: 2, value: "(end)", sessions: 9 },
    ]);
  });

  it("refuses steps outside 1-5, limitPerStep out of bounds and an empty start, naming the field", async () => {
    const start = { kind: "page", value: "/" } as const;
    for (const [fields, path] of [
      [{ start, steps: 0 }, "steps"],
      [{ start, steps: 6 }, "steps"],
      [{ start, limitPerStep: 0 }, "limitPerStep"],
      [{ start, limitPerStep: 21 }, "limitPerStep"],
      [{ start: { kind: "page", value: "" } }, "start.value"],
      [{ start: { kind: "screen", value: "/" } }, "start.kind"],
      [{ start, direction: "sideways" }, "direction"],
      [{}, "start"],
    ] as const) {
      const error = await failure(
        owner.caller.analytics.paths({ projectId, ...(fields as unknown as { start: typeof start }) }),
      );
      expect({ fields, code: error.code, paths: issuePaths(error) }).toEqual({
        fields,
        code: "BAD_REQUEST",
        paths: [path],
      });
    }
  });

  it("answers NOT_FOUND for another owner's project", async () => {
    const call = stranger.caller.analytics.paths({ projectId, start: { kind: "event", value: "page_view" } });
    expect((await failure(call)).code).toBe("NOT_FOUND");
  });
});

describe("while the upgrade backfill runs", () => {
  it("answers PRECONDITION_FAILED for retention and paths", async () => {
    const { project } = await owner.caller.projects.create({ name: "Backfilling" });
    await t.services.db.execute(
      sql`insert into analytics_engine_state (project_id, status) values (${project.id}::uuid, 'backfilling')`,
    );
    const retention = await failure(owner.caller.analytics.retention({ projectId: project.id }));
    const paths = await failure(
      owner.caller.analytics.paths({ projectId: project.id, start: { kind: "page", value: "/" } }),
    );
    expect([retention.code, paths.code]).toEqual(["PRECONDITION_FAILED", "PRECONDITION_FAILED"]);
    expect(retention.message).toContain("backfill finishes");
  });
});
