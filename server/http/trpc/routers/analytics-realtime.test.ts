import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { REALTIME_WINDOW_MS } from "../../../../shared/live.ts";
import { getLatestEvents } from "../../../analytics/get-latest-events.ts";
import { queryRows } from "../../../db/client.ts";
import { storeTestEvents, testEvent } from "../../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

const MINUTE = 60_000;
let t: TestServices;
let owner: SignedInUser;
let stranger: SignedInUser;
let projectId: string;
const now = Date.now();

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "Realtime" })).project.id;
  await storeTestEvents(t.services.db, [
    // Current: a, b (two events), c right inside the window's start.
    testEvent(projectId, { at: now - 10_000, sessionId: "a", path: "/" }),
    testEvent(projectId, { at: now - MINUTE, sessionId: "b", path: "/" }),
    testEvent(projectId, { at: now - 2 * MINUTE, sessionId: "b", eventName: "signup" }),
    testEvent(projectId, { at: now - REALTIME_WINDOW_MS + 20_000, sessionId: "c", path: "/x" }),
    // Not current: older than five minutes, a backend event without a session, one dated in the future.
    testEvent(projectId, { at: now - REALTIME_WINDOW_MS - 30_000, sessionId: "old", path: "/" }),
    testEvent(projectId, { at: now - 30_000, sessionId: null, eventName: "invoice_paid" }),
    testEvent(projectId, { at: now + 10 * MINUTE, sessionId: "future", path: "/" }),
  ]);
  // Sixty older events, one a minute, for the live feed's backfill.
  await storeTestEvents(
    t.services.db,
    Array.from({ length: 60 }, (_, i) => testEvent(projectId, { at: now - (10 + i) * MINUTE, sessionId: `h${i}` })),
  );
}, 60_000);

afterAll(async () => {
  await t.cleanup();
});

describe("analytics.realtime", () => {
  it("counts the sessions with an event in the last five minutes, as plain SQL does", async () => {
    const answer = await owner.caller.analytics.realtime({ projectId });
    const [row] = await queryRows<{ n: string }>(
      t.services.db,
      sql`select count(distinct session_id) as n from events where project_id = ${projectId}::uuid
           and "timestamp" > now() - interval '5 minutes' and "timestamp" <= now()`,
    );
    expect(answer).toEqual({ currentVisitors: 3 });
    expect(answer.currentVisitors).toBe(Number(row!.n));
  });

  it("answers NOT_FOUND for another user's project", async () => {
    expect((await failure(stranger.caller.analytics.realtime({ projectId }))).code).toBe("NOT_FOUND");
  });
});

describe("getLatestEvents", () => {
  it("returns the 50 events with the latest timestamp up to now, newest first, as plain SQL orders them", async () => {
    const latest = await getLatestEvents(t.services.db, { projectId, limit: 50 }, Date.now());
    const expected = await queryRows<{ insert_id: string }>(
      t.services.db,
      sql`select insert_id from events where project_id = ${projectId}::uuid and "timestamp" <= now()
           order by "timestamp" desc, insert_id desc limit 50`,
    );
    expect(latest).toHaveLength(50);
    expect(latest.map((e) => e.insertId)).toEqual(expected.map((r) => r.insert_id));
    expect(latest.some((e) => e.sessionId === "future")).toBe(false);
    const times = latest.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(latest[0]).toMatchObject({ sessionId: "a", event: "page_view", pageUrl: "https://shop.example.com/" });
  });
});
