import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { APPLICATION_NAME, queryRows } from "../../db/client.ts";
import { generateTestEvents, storeTestEvents } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { createTestServices, startTestServer, type TestServices } from "../../test-support/services.ts";
import type { RunningServer } from "../serve.ts";

// Heavy statements are never run here: a statement is made to wait by a lock this test holds on its own database,
// which statement_timeout and cancels stop like any long statement (and jit is off on the product's connections).
const TIMEOUT_MS = 600;
const DAY = 86_400_000;
const neqFilters = Array.from({ length: 20 }, (_, i) => ({ dimension: `property:k${i}`, op: "neq", value: "x" }));

let t: TestServices;
let server: RunningServer;
let owner: SignedInUser;
let projectId: string;
let observer: postgres.Sql;

beforeAll(async () => {
  t = await createTestServices(
    { RATE_LIMIT_PER_MINUTE: "1000000", ANALYTICS_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) },
    { redis: false },
  );
  server = startTestServer(t.services);
  owner = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "Limits" })).project.id;
  await storeTestEvents(t.services.db, generateTestEvents(projectId, Date.now() - 3 * DAY, 3).slice(0, 300), 100);
  observer = postgres(t.database.url, { max: 2, onnotice: () => {} });
}, 60_000);

afterAll(async () => {
  await observer.end();
  await server.stop();
  await t.cleanup();
});

function analyticsUrl(procedure: string, input: object): string {
  return `${server.url}/api/trpc/analytics.${procedure}?input=${encodeURIComponent(JSON.stringify({ projectId, ...input }))}`;
}

const authorization = () => ({ authorization: `Bearer ${owner.login.accessToken}` });

/** Our statements running in this test's database right now. */
async function activeStatements(): Promise<string[]> {
  const rows = await observer<{ query: string }[]>`
    select query from pg_stat_activity
     where datname = ${t.database.name} and application_name = ${APPLICATION_NAME} and state <> 'idle'
       and query not like '%pg_stat_activity%'`;
  return rows.map((row) => row.query);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(50);
  }
  return check();
}

/**
 * Holds an exclusive lock on events and the query engine's tables, so every analytics statement waits (filtered reads
 * come from the engine's segments), until the returned release is called.
 */
async function lockEvents(): Promise<() => Promise<void>> {
  const connection = await observer.reserve();
  await connection`begin`;
  await connection`lock table events, analytics_segments, analytics_segment_columns in access exclusive mode`;
  return async () => {
    await connection`rollback`;
    connection.release();
  };
}

describe("analytics statement limits (PostgreSQL)", () => {
  it("opens every connection with JIT off and the product's application_name", async () => {
    const [row] = await queryRows<{ jit: string; name: string; timeout: string }>(
      t.services.db,
      sql`select current_setting('jit') as jit, current_setting('application_name') as name, current_setting('statement_timeout') as timeout`,
    );
    // The timeout is scoped to analytics reads: the worker's writes and migrations on this pool are not bound by it.
    expect(row).toEqual({ jit: "off", name: APPLICATION_NAME, timeout: "0" });
  });

  it("answers the reproduction (42 days of hours, 20 neq filters) within the timeout, and leaves nothing running", async () => {
    // Issue 15 lifted the buckets x filters cap: the statement timeout alone bounds this, and it is one scan.
    const now = Date.now();
    const range = {
      from: new Date(now - 42 * DAY + 60_000).toISOString(),
      to: new Date(now).toISOString(),
      granularity: "hour",
    };
    const points = async (input: object) => {
      const response = await fetch(analyticsUrl("timeseries", input), { headers: authorization() });
      expect(response.status).toBe(200);
      return ((await response.json()) as { result: { data: { points: unknown[] } } }).result.data.points;
    };
    const started = Date.now();
    const filtered = await points({ ...range, filters: neqFilters });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(filtered.length).toBeGreaterThanOrEqual(42 * 24);
    // The filters match every event, so the points are the unfiltered ones.
    expect(filtered).toEqual(await points(range));
    await Bun.sleep(500);
    expect(await activeStatements()).toEqual([]);
  }, 30_000);

  it("answers 20 filters over 7 days of hours with the same points as no filters (they match every event)", async () => {
    const range = {
      from: new Date(Date.now() - 7 * DAY).toISOString(),
      to: new Date().toISOString(),
      granularity: "hour",
    };
    const get = async (input: object) => {
      const response = await fetch(analyticsUrl("timeseries", input), { headers: authorization() });
      expect(response.status).toBe(200);
      return ((await response.json()) as { result: { data: { points: unknown[] } } }).result.data.points;
    };
    const unfiltered = await get(range);
    expect(unfiltered.length).toBeGreaterThan(160);
    expect(await get({ ...range, filters: neqFilters })).toEqual(unfiltered);
  }, 30_000);

  it("answers a statement that outlives ANALYTICS_STATEMENT_TIMEOUT_MS with TIMEOUT (408) and advice, and stops it", async () => {
    const release = await lockEvents();
    try {
      const started = Date.now();
      const response = await fetch(
        analyticsUrl("overview", { period: "7d", filters: [{ dimension: "path", op: "neq", value: "/x" }] }),
        {
          headers: authorization(),
        },
      );
      const elapsed = Date.now() - started;
      expect(response.status).toBe(408);
      const body = (await response.json()) as { error: { message: string; data: { code: string } } };
      expect(body.error.data.code).toBe("TIMEOUT");
      expect(body.error.message).toContain("narrow the range or the filters");
      expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS);
      expect(elapsed).toBeLessThan(TIMEOUT_MS + 5_000);
      expect(await activeStatements()).toEqual([]);
    } finally {
      await release();
    }
  }, 30_000);

  it("cancels the statement in PostgreSQL when the HTTP client goes away", async () => {
    // A timeout far longer than the test: only the cancel can end the statement in time.
    const slow = await createTestServices({ ANALYTICS_STATEMENT_TIMEOUT_MS: "600000" }, { redis: false });
    const slowServer = startTestServer(slow.services);
    // Two connections: one holds the lock, the other watches.
    const slowObserver = postgres(slow.database.url, { max: 2, onnotice: () => {} });
    try {
      const user = await registerAndSignIn(slow.services);
      const project = (await user.caller.projects.create({ name: "Cancel" })).project.id;
      const running = () =>
        slowObserver<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
          where datname = ${slow.database.name} and application_name = ${APPLICATION_NAME} and state = 'active'
            and wait_event_type = 'Lock'`.then(([row]) => row!.n);
      const lockSlow = await slowObserver.reserve();
      await lockSlow`begin`;
      await lockSlow`lock table events, analytics_segments, analytics_segment_columns in access exclusive mode`;
      const controller = new AbortController();
      const input = encodeURIComponent(
        JSON.stringify({ projectId: project, period: "7d", filters: [{ dimension: "path", op: "neq", value: "/x" }] }),
      );
      const request = fetch(`${slowServer.url}/api/trpc/analytics.overview?input=${input}`, {
        headers: { authorization: `Bearer ${user.login.accessToken}` },
        signal: controller.signal,
      }).catch((error: unknown) => error);
      expect(await waitUntil(async () => (await running()) === 1, 5_000)).toBe(true);
      controller.abort();
      await request;
      const abortedAt = Date.now();
      expect(await waitUntil(async () => (await running()) === 0, 2_000)).toBe(true);
      expect(Date.now() - abortedAt).toBeLessThan(2_100);
    } finally {
      // Closing the lock's connection ends its transaction, whatever happened above.
      await slowObserver.end({ timeout: 1 });
      await slowServer.stop();
      await slow.cleanup();
    }
  }, 60_000);
});
