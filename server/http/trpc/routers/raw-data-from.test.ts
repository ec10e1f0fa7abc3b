/**
 * rawDataFrom on every answer over a range (shared/analytics.ts RawDataFromAnswer), through the tRPC caller and the
 * Stats API on PostgreSQL: the retention horizon the project promises (retentionHorizon of its retentionDays) for
 * one with a retention, null for one without; a range starting before it answers (no error), and the Stats API's
 * array answers send it as the Raw-Data-From header. The figures themselves are oracle-tested in
 * server/pipeline/retention/apply-retention.test.ts (PostgreSQL and PGlite).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { retentionHorizon } from "../../../../shared/projects.ts";
import { storeTestEvents, testEvent } from "../../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { createApp } from "../../app.ts";

const DAY = 86_400_000;
const NOW = Date.now();
let t: TestServices;
let owner: SignedInUser;
let retained: string;
let forever: string;

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  owner = await registerAndSignIn(t.services);
  retained = (await owner.caller.projects.create({ name: "Retained" })).project.id;
  forever = (await owner.caller.projects.create({ name: "Forever" })).project.id;
  await owner.caller.projects.update({ id: retained, retentionDays: 30, keepAggregatesPastRetention: true });
  const rows = [retained, forever].flatMap((projectId) =>
    [3, 2, 1].map((days, i) =>
      testEvent(projectId, {
        at: NOW - days * DAY,
        eventName: i === 0 ? "signup" : "page_view",
        distinctId: "ada",
        sessionId: `s${i}`,
        path: "/",
      }),
    ),
  );
  await storeTestEvents(t.services.db, rows);
}, 60_000);

afterAll(async () => {
  await t.cleanup();
});

/** Every procedure answering a range, called over 60 days (starting before a 30-day horizon). */
async function answers(projectId: string): Promise<Record<string, { rawDataFrom: string | null }>> {
  const c = owner.caller;
  const range = { projectId, from: new Date(NOW - 60 * DAY).toISOString() };
  const steps = [{ event: "signup" }, { event: "page_view" }];
  const cohort = await c.cohorts.create({
    projectId,
    name: `c-${Bun.randomUUIDv7()}`,
    definition: {
      groups: [
        {
          conditions: [
            {
              type: "performed",
              event: "signup",
              operator: "at_least",
              count: 1,
              window: { kind: "relative", days: 90 },
            },
          ],
        },
      ],
    },
  });
  return {
    overview: await c.analytics.overview(range),
    timeseries: await c.analytics.timeseries(range),
    sessions: await c.analytics.sessions(range),
    users: await c.analytics.users(range),
    goals: await c.analytics.goals(range),
    funnel: await c.analytics.funnel({ ...range, steps }),
    funnelPeople: await c.analytics.funnelPeople({ ...range, steps, step: 1 }),
    retention: await c.analytics.retention(range),
    paths: await c.analytics.paths({ ...range, start: { kind: "event", value: "signup" } }),
    "people.list": await c.people.list(range),
    "people.get": await c.people.get({ projectId, distinctId: "ada" }),
    "people.events": await c.people.events({ projectId, distinctId: "ada" }),
    "cohorts.list": await c.cohorts.list(range),
    "cohorts.get": await c.cohorts.get({ projectId, cohortId: cohort.id }),
  };
}

describe("rawDataFrom", () => {
  it("is the promised horizon on every answer of a project with a retention, null without", async () => {
    const horizon = new Date(retentionHorizon(Date.now(), 30)).toISOString();
    const of = (all: Record<string, { rawDataFrom: string | null }>) =>
      Object.fromEntries(Object.entries(all).map(([name, answer]) => [name, answer.rawDataFrom]));
    const retainedAnswers = await answers(retained);
    expect(of(retainedAnswers)).toEqual(Object.fromEntries(Object.keys(retainedAnswers).map((k) => [k, horizon])));
    const foreverAnswers = await answers(forever);
    expect(of(foreverAnswers)).toEqual(Object.fromEntries(Object.keys(foreverAnswers).map((k) => [k, null])));
    // The events are all after the horizon: the answers still count them.
    expect((retainedAnswers.overview as unknown as { totalEvents: number }).totalEvents).toBe(3);
  }, 60_000);

  it("is sent by the Stats API as Raw-Data-From, array answers included", async () => {
    const app = createApp(t.services);
    const horizon = new Date(retentionHorizon(Date.now(), 30)).toISOString();
    const headerOf = async (projectId: string, endpoint: string) => {
      const { key } = await owner.caller.apiKeys.create({ projectId, name: "script", scopes: ["stats:read"] });
      const query = new URLSearchParams({ project_id: projectId, period: "90d" });
      if (endpoint === "breakdown") query.set("dimension", "path");
      const response = await app.request(`http://localhost/api/v1/stats/${endpoint}?${query}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { rawDataFrom?: string | null };
      return { header: response.headers.get("raw-data-from"), body: Array.isArray(body) ? "array" : body.rawDataFrom };
    };
    expect(await headerOf(retained, "top-events")).toEqual({ header: horizon, body: "array" });
    expect(await headerOf(retained, "breakdown")).toEqual({ header: horizon, body: "array" });
    expect(await headerOf(retained, "aggregate")).toEqual({ header: horizon, body: horizon });
    expect(await headerOf(forever, "aggregate")).toEqual({ header: null, body: null });
  }, 60_000);
});
