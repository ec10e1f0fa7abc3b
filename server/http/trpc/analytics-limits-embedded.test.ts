import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { ALL_DIMENSION, bucketStart, DAY } from "../../analytics/rollup-layout.ts";
import { analyticsEngineState, analyticsRollups } from "../../db/schema/index.ts";
import type { Services } from "../../services.ts";
import { storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { openEitherServices } from "../../test-support/either-database.ts";
import { startTestServer } from "../../test-support/services.ts";
import { INGEST_PATH } from "../ingest/ingest-handler.ts";
import type { RunningServer } from "../serve.ts";
import { EMBEDDED_MAX_RAW_EVENTS } from "./analytics-limits.ts";

// Embedded mode: PGlite ignores statement_timeout and blocks the event loop while a statement runs.
const DAY_MS = 86_400_000;
const neqFilters = Array.from({ length: 20 }, (_, i) => ({ dimension: `property:k${i}`, op: "neq", value: "x" }));

let services: Services;
let close: () => Promise<void>;
let server: RunningServer;
let owner: SignedInUser;
let project: { id: string; apiKey: string };

beforeAll(async () => {
  ({ services, close } = await openEitherServices("pglite"));
  server = startTestServer(services);
  owner = await registerAndSignIn(services);
  const created = await owner.caller.projects.create({ name: "Embedded" });
  project = { id: created.project.id, apiKey: created.apiKey };
  // 40,000 raw events over the last 5 days: a filtered read of them holds PGlite (and so the event loop) for
  // seconds (about 1 s per 20,000 measured here). The estimate reads the day rollups of the totals; one row there claims more than the bound.
  const start = Date.now() - 5 * DAY_MS;
  await services.db.execute(sql`
    insert into events (project_id, insert_id, event_name, session_id, distinct_id, properties, path, timestamp)
    select ${project.id}::uuid, 'seed-' || g, 'page_view', 's-' || (g / 10), 'u-' || (g / 40),
           jsonb_build_object('plan', 'pro'), '/p' || (g % 20), ${new Date(start).toISOString()}::timestamptz + g * interval '10 seconds'
      from generate_series(1, 40000) g`);
  await services.db.insert(analyticsRollups).values({
    projectId: project.id,
    dimension: ALL_DIMENSION,
    size: DAY,
    bucket: new Date(bucketStart(start, DAY)),
    value: "",
    chunk: -1,
    events: EMBEDDED_MAX_RAW_EVENTS + 1,
  });
  // Events inserted behind the pipeline's back, as an install from before the query engine has them: until its
  // backfill is done, raw events answer filtered reads, and the bound holds.
  await services.db.insert(analyticsEngineState).values({ projectId: project.id, status: "backfilling" });
}, 120_000);

afterAll(async () => {
  await server.stop();
  await close();
});

const analytics = (procedure: string, input: object) =>
  fetch(
    `${server.url}/api/trpc/analytics.${procedure}?input=${encodeURIComponent(JSON.stringify({ projectId: project.id, ...input }))}`,
    {
      headers: { authorization: `Bearer ${owner.login.accessToken}` },
    },
  );

/**
 * Milliseconds from sending `send` to an ingest request, sent 200 ms later, answering 202. A statement that blocks
 * the event loop delays both the timer and the answer.
 */
async function ingestAnsweredAfter(send: () => Promise<Response>): Promise<{ ms: number; heavy: Response }> {
  const started = Date.now();
  const heavy = send();
  await Bun.sleep(200);
  const ingest = await fetch(`${server.url}${INGEST_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": project.apiKey },
    body: JSON.stringify({ events: [{ event: "page_view", session_id: "s-live", distinct_id: "u-live" }] }),
  });
  const ms = Date.now() - started;
  expect(ingest.status).toBe(202);
  return { ms, heavy: await heavy };
}

describe("analytics limits in embedded mode", () => {
  it("refuses a filtered read over more raw events than it may scan before running it, so ingest keeps answering 202", async () => {
    const { ms, heavy: answer } = await ingestAnsweredAfter(() =>
      analytics("overview", { period: "7d", filters: neqFilters }),
    );
    expect(ms).toBeLessThan(1_000);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toContain(
      "narrow the range or the filters",
    );
  }, 60_000);

  it("refuses the reproduction (42 days of hours, 20 filters) by its cost before running it", async () => {
    // Issue 15 lifted the buckets x filters cap; the cost bound (events in the range) still holds here.
    const now = Date.now();
    const { ms, heavy: answer } = await ingestAnsweredAfter(() =>
      analytics("timeseries", {
        from: new Date(now - 42 * DAY_MS + 60_000).toISOString(),
        to: new Date(now).toISOString(),
        granularity: "hour",
        filters: neqFilters,
      }),
    );
    expect(ms).toBeLessThan(1_000);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toContain(
      "narrow the range or the filters",
    );
  }, 60_000);

  it("answers filtered reads the query engine serves, over more events than the bound, while ingest answers 202", async () => {
    const served = await owner.caller.projects.create({ name: "Engine" });
    // 60,000 events through the pipeline's own storeEvents (the worker's path, segments included), in large
    // batches: through HTTP and the embedded worker this took minutes on a loaded machine.
    const start = Date.now() - 3 * DAY_MS;
    const rows = Array.from({ length: 60_000 }, (_, i) =>
      testEvent(served.project.id, {
        eventName: i % 3 ? "page_view" : "click",
        at: start + i * 4_000,
        sessionId: `s-${Math.floor(i / 100)}-${i % 50}`,
        distinctId: `u-${i % 97}`,
        path: `/p${i % 20}`,
        properties: { plan: i % 2 ? "pro" : "free" },
      }),
    );
    await storeTestEvents(services.db, rows, 5_000);
    const read = (input: object) =>
      fetch(
        `${server.url}/api/trpc/analytics.overview?input=${encodeURIComponent(JSON.stringify({ projectId: served.project.id, ...input }))}`,
        { headers: { authorization: `Bearer ${owner.login.accessToken}` } },
      );
    const { ms, heavy: answer } = await ingestAnsweredAfter(() => read({ period: "7d", filters: neqFilters }));
    expect(answer.status).toBe(200);
    expect(ms).toBeLessThan(1_500);
    const body = (await answer.json()) as { result: { data: { totalEvents: number; uniqueUsers: number } } };
    expect(body.result.data.totalEvents).toBe(60_000);
    expect(body.result.data.uniqueUsers).toBe(97);
  }, 120_000);

  it("still answers reads the rollups serve, whatever the number of events", async () => {
    const unfiltered = await analytics("overview", { period: "7d" });
    expect(unfiltered.status).toBe(200);
  }, 30_000);
});
