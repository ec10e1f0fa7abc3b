import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import type { ZodType } from "zod";
import {
  statsAggregateSchema,
  statsBreakdownSchema,
  statsFunnelSchema,
  statsPathsSchema,
  statsRetentionSchema,
  statsTimeseriesSchema,
  statsTopEventsSchema,
} from "../../../shared/stats-api.ts";
import { hashSecret } from "../../auth/share-secrets.ts";
import { readKeys } from "../../db/schema/index.ts";
import { storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { failure } from "../../test-support/trpc-failure.ts";
import { callTrpcOverHttp } from "../../test-support/trpc-http.ts";
import { createApp } from "../app.ts";
import { READ_KEY_ON_TRPC_MESSAGE } from "../trpc/read-grant.ts";

const ANSWER_SCHEMAS: Record<string, ZodType> = {
  aggregate: statsAggregateSchema,
  timeseries: statsTimeseriesSchema,
  breakdown: statsBreakdownSchema,
  "top-events": statsTopEventsSchema,
  funnel: statsFunnelSchema,
  retention: statsRetentionSchema,
  paths: statsPathsSchema,
};

const HOOK_TIMEOUT_MS = 60_000;
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 9, 1);
const FROM = new Date(BASE).toISOString();
const TO = new Date(BASE + 7 * DAY).toISOString();
const RATE_LIMIT = 30;

let t: TestServices;
let app: ReturnType<typeof createApp>;
let owner: SignedInUser;
let stranger: SignedInUser;
let projectId: string;
let otherProjectId: string;

beforeAll(async () => {
  t = await createTestServices(
    { RATE_LIMIT_PER_MINUTE: "1000000", STATS_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) },
    { redis: false },
  );
  app = createApp(t.services);
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "Stats" })).project.id;
  otherProjectId = (await owner.caller.projects.create({ name: "Other" })).project.id;
  const rows = Array.from({ length: 60 }, (_, i) =>
    testEvent(projectId, {
      at: BASE + i * 2 * 3_600_000,
      eventName: i % 4 === 0 ? "signup" : "page_view",
      sessionId: `s${i % 7}`,
      distinctId: `u${i % 5}`,
      path: i % 2 ? "/pricing" : "/docs",
      country: i % 3 === 0 ? "DE" : "FR",
    }),
  );
  await storeTestEvents(t.services.db, rows);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

async function newKey(scopes: Array<"stats:read" | "events:export"> = ["stats:read"], project = projectId) {
  return (await owner.caller.apiKeys.create({ projectId: project, name: "script", scopes })).key;
}

function stats(endpoint: string, params: Record<string, string>, key: string | null) {
  return app.request(`http://localhost/api/v1/stats/${endpoint}?${new URLSearchParams(params)}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
}

describe("apiKeys", () => {
  it("answers the key once and stores only its hash and a display prefix", async () => {
    const created = await owner.caller.apiKeys.create({
      projectId,
      name: " CI ",
      scopes: ["stats:read", "stats:read"],
    });
    expect(created.key).toMatch(/^read_[A-Za-z0-9_-]{43}$/);
    const [row] = await t.services.db.select().from(readKeys).where(eq(readKeys.id, created.id));
    expect(row!.keyHash).toBe(hashSecret(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);
    const listed = (await owner.caller.apiKeys.list({ projectId })).find((k) => k.id === created.id)!;
    expect(listed).toMatchObject({ name: "CI", scopes: ["stats:read"], lastUsedAt: null, revokedAt: null });
    expect(listed.keyPrefix).toBe(created.key.slice(0, 13));
    expect(JSON.stringify(listed)).not.toContain(created.key);
  });

  it("refuses an unknown scope and an empty list, naming the field", async () => {
    const unknown = await failure(
      owner.caller.apiKeys.create({ projectId, name: "x", scopes: ["events:write" as "stats:read"] }),
    );
    expect(unknown.code).toBe("BAD_REQUEST");
    expect((await failure(owner.caller.apiKeys.create({ projectId, name: "x", scopes: [] }))).code).toBe("BAD_REQUEST");
  });

  it("answers NOT_FOUND to anyone but the project's admins", async () => {
    const created = await owner.caller.apiKeys.create({ projectId, name: "x", scopes: ["stats:read"] });
    expect((await failure(stranger.caller.apiKeys.list({ projectId }))).code).toBe("NOT_FOUND");
    expect((await failure(stranger.caller.apiKeys.create({ projectId, name: "x", scopes: ["stats:read"] }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await failure(stranger.caller.apiKeys.revoke({ projectId, id: created.id }))).code).toBe("NOT_FOUND");
    expect((await failure(owner.caller.apiKeys.revoke({ projectId: otherProjectId, id: created.id }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("records the last use, at most once a minute", async () => {
    const created = await owner.caller.apiKeys.create({ projectId, name: "x", scopes: ["stats:read"] });
    expect((await stats("aggregate", { project_id: projectId, from: FROM, to: TO }, created.key)).status).toBe(200);
    let used: string | null = null;
    for (let i = 0; i < 50 && !used; i++) {
      used = (await owner.caller.apiKeys.list({ projectId })).find((k) => k.id === created.id)!.lastUsedAt;
      if (!used) await Bun.sleep(20);
    }
    expect(used).not.toBeNull();
    await stats("aggregate", { project_id: projectId, from: FROM, to: TO }, created.key);
    await Bun.sleep(100);
    const again = (await owner.caller.apiKeys.list({ projectId })).find((k) => k.id === created.id)!.lastUsedAt;
    expect(again).toBe(used);
  });
});

describe("a read key", () => {
  it("is refused at once once revoked (401)", async () => {
    const created = await owner.caller.apiKeys.create({ projectId, name: "x", scopes: ["stats:read"] });
    const params = { project_id: projectId, from: FROM, to: TO };
    expect((await stats("aggregate", params, created.key)).status).toBe(200);
    await owner.caller.apiKeys.revoke({ projectId, id: created.id });
    const res = await stats("aggregate", params, created.key);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: "unauthorized", message: "This read key is unknown or was revoked." },
    });
  });

  it("answers 401 on /api/trpc naming the Stats API, for reads and writes alike", async () => {
    const key = await newKey();
    const headers = { authorization: `Bearer ${key}` };
    const read = await callTrpcOverHttp(app, "query", "analytics.overview", { projectId, from: FROM, to: TO }, headers);
    expect(read.status).toBe(401);
    expect(read.error?.message).toBe(READ_KEY_ON_TRPC_MESSAGE);
    const write = await callTrpcOverHttp(app, "mutation", "projects.rotateKey", { id: projectId }, headers);
    expect(write.status).toBe(401);
    expect(write.error?.message).toContain("Stats API");
  });

  it("answers 404 for another project, even one of the same owner", async () => {
    const key = await newKey();
    const res = await stats("aggregate", { project_id: otherProjectId, from: FROM, to: TO }, key);
    expect(res.status).toBe(404);
    expect(JSON.stringify(await res.json())).not.toContain("totalEvents");
  });

  it("needs stats:read for the Stats API (403) and events:export for the export", async () => {
    const exportOnly = await newKey(["events:export"]);
    expect((await stats("aggregate", { project_id: projectId, period: "7d" }, exportOnly)).status).toBe(403);
    const exportUrl = (id: string) =>
      `http://localhost/api/v1/export/events?projectId=${id}&from=${FROM}&to=${TO}&format=ndjson`;
    const exported = await app.request(exportUrl(projectId), { headers: { authorization: `Bearer ${exportOnly}` } });
    expect(exported.status).toBe(200);
    expect((await exported.text()).trim().split("\n")).toHaveLength(60);
    const foreign = await app.request(exportUrl(otherProjectId), {
      headers: { authorization: `Bearer ${exportOnly}` },
    });
    expect(foreign.status).toBe(404);
    const statsOnly = await newKey(["stats:read"]);
    const refused = await app.request(exportUrl(projectId), { headers: { authorization: `Bearer ${statsOnly}` } });
    expect(refused.status).toBe(403);
  });

  it("is rate limited per key at STATS_RATE_LIMIT_PER_MINUTE, with Retry-After", async () => {
    const key = await newKey();
    const params = { project_id: projectId, period: "7d" };
    for (let i = 0; i < RATE_LIMIT; i++)
      expect((await stats("realtime", { project_id: projectId }, key)).status).toBe(200);
    const limited = await stats("aggregate", params, key);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await stats("aggregate", params, await newKey())).status).toBe(200);
  });
});

describe("GET /api/v1/stats/*", () => {
  const filters = JSON.stringify([{ dimension: "country", op: "eq", value: "DE" }]);
  const steps = [{ event: "page_view" }, { event: "signup" }];
  const cases: Array<[endpoint: string, params: Record<string, string>, trpc: () => Promise<unknown>]> = [
    [
      "aggregate",
      { from: FROM, to: TO, timezone: "Europe/Paris" },
      () => owner.caller.analytics.overview({ projectId, from: FROM, to: TO, timezone: "Europe/Paris" }),
    ],
    [
      "aggregate",
      { from: FROM, to: TO, filters },
      () => owner.caller.analytics.overview({ projectId, from: FROM, to: TO, filters: JSON.parse(filters) }),
    ],
    [
      "timeseries",
      { from: FROM, to: TO, granularity: "hour", filters },
      () =>
        owner.caller.analytics.timeseries({
          projectId,
          from: FROM,
          to: TO,
          granularity: "hour",
          filters: JSON.parse(filters),
        }),
    ],
    [
      "breakdown",
      { from: FROM, to: TO, dimension: "path", limit: "5" },
      () => owner.caller.analytics.breakdown({ projectId, from: FROM, to: TO, dimension: "path", limit: 5 }),
    ],
    ["top-events", { from: FROM, to: TO }, () => owner.caller.analytics.topEvents({ projectId, from: FROM, to: TO })],
    [
      "funnel",
      { from: FROM, to: TO, steps: JSON.stringify(steps), count_by: "sessions" },
      () => owner.caller.analytics.funnel({ projectId, from: FROM, to: TO, steps, countBy: "sessions" }),
    ],
    [
      "retention",
      { from: FROM, to: TO, interval: "day", periods: "3" },
      () => owner.caller.analytics.retention({ projectId, from: FROM, to: TO, interval: "day", periods: 3 }),
    ],
    [
      "paths",
      { from: FROM, to: TO, start: JSON.stringify({ kind: "page", value: "/docs" }) },
      () => owner.caller.analytics.paths({ projectId, from: FROM, to: TO, start: { kind: "page", value: "/docs" } }),
    ],
  ];

  it("answers exactly what the matching tRPC procedure answers for the same input", async () => {
    const key = await newKey();
    for (const [endpoint, params, trpc] of cases) {
      const res = await stats(endpoint, { project_id: projectId, ...params }, key);
      const body = await res.json();
      expect({ endpoint, status: res.status }).toEqual({ endpoint, status: 200 });
      expect(body).toEqual(JSON.parse(JSON.stringify(await trpc())));
      // The OpenAPI document's answer schema describes the real answer, field for field (strict objects).
      expect(ANSWER_SCHEMAS[endpoint]!.safeParse(body).error).toBeUndefined();
    }
    const overview = (await (await stats("aggregate", { project_id: projectId, from: FROM, to: TO }, key)).json()) as {
      totalEvents: number;
    };
    expect(overview.totalEvents).toBe(60);
  });

  it("refuses bad parameters with a 400 naming the parameter", async () => {
    const key = await newKey();
    const bad: Array<[string, Record<string, string>, string]> = [
      ["aggregate", { period: "7d" }, "project_id"],
      ["aggregate", { project_id: "nope", period: "7d" }, "project_id"],
      ["aggregate", { project_id: projectId, period: "7d", filters: "[{" }, "filters"],
      [
        "aggregate",
        { project_id: projectId, period: "7d", filters: '[{"dimension":"x","op":"eq","value":1}]' },
        "filters[0]",
      ],
      ["aggregate", { project_id: projectId, period: "7d", timezone: "Mars/Base" }, "timezone"],
      ["aggregate", { project_id: projectId, period: "7d", colour: "red" }, "colour"],
      ["aggregate", { project_id: projectId, period: "forever" }, "period"],
      ["timeseries", { project_id: projectId, period: "90d", granularity: "hour" }, "granularity"],
      ["breakdown", { project_id: projectId, period: "7d", dimension: "shoe_size" }, "dimension"],
      ["breakdown", { project_id: projectId, period: "7d", dimension: "path", limit: "many" }, "limit"],
      ["funnel", { project_id: projectId, period: "7d", steps: "[]" }, "steps"],
    ];
    for (const [endpoint, params, field] of bad) {
      const res = await stats(endpoint, params, key);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ endpoint, params, status: res.status }).toEqual({ endpoint, params, status: 400 });
      expect(body.error.message.startsWith(field)).toBe(true);
    }
  });

  it("runs under the analytics statement timeout: a statement that outlives it answers 408 with advice", async () => {
    const limited = await createTestServices({ ANALYTICS_STATEMENT_TIMEOUT_MS: "600" }, { redis: false });
    const locker = postgres(limited.database.url, { max: 1, onnotice: () => {} });
    try {
      const admin = await registerAndSignIn(limited.services);
      const id = (await admin.caller.projects.create({ name: "Slow" })).project.id;
      const { key } = await admin.caller.apiKeys.create({ projectId: id, name: "x", scopes: ["stats:read"] });
      const connection = await locker.reserve();
      await connection`begin`;
      await connection`lock table events, analytics_segments, analytics_segment_columns in access exclusive mode`;
      const started = Date.now();
      const res = await createApp(limited.services).request(
        `http://localhost/api/v1/stats/aggregate?${new URLSearchParams({ project_id: id, period: "7d", filters })}`,
        { headers: { authorization: `Bearer ${key}` } },
      );
      await connection`rollback`;
      connection.release();
      expect(res.status).toBe(408);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("narrow the range");
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    } finally {
      await locker.end();
      await limited.cleanup();
    }
  }, 60_000);

  it("answers 401 without a read key, or with a dashboard access token", async () => {
    const params = { project_id: projectId, period: "7d" };
    expect((await stats("aggregate", params, null)).status).toBe(401);
    expect((await stats("aggregate", params, owner.login.accessToken)).status).toBe(401);
    expect((await stats("aggregate", params, "read_forged")).status).toBe(401);
  });
});
