/**
 * The Stats API and a share session in embedded mode (PGlite, in-process keys): the same answers as the tRPC
 * procedures, and a share page confined to its own project. The full matrix runs on PostgreSQL
 * (stats-api.test.ts, server/http/trpc/routers/shares.test.ts); this holds the embedded path to the same rules.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SHARE_SESSION_HEADER } from "../../../shared/sharing.ts";
import { parseConfig } from "../../env.ts";
import { createServices, type Services } from "../../services.ts";
import { storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { callTrpcOverHttp } from "../../test-support/trpc-http.ts";
import { createApp } from "../app.ts";

const BASE = Date.UTC(2026, 9, 1);
const FROM = new Date(BASE).toISOString();
const TO = new Date(BASE + 7 * 86_400_000).toISOString();

let dataDir: string;
let services: Services;
let app: ReturnType<typeof createApp>;
let owner: SignedInUser;
let projectId: string;
let otherProjectId: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "wtstats-pglite-"));
  services = await createServices(
    parseConfig({ NODE_ENV: "test", DATA_DIR: dataDir, LOG_LEVEL: "silent", RATE_LIMIT_PER_MINUTE: "100000" }),
  );
  app = createApp(services);
  owner = await registerAndSignIn(services);
  projectId = (await owner.caller.projects.create({ name: "Embedded" })).project.id;
  otherProjectId = (await owner.caller.projects.create({ name: "Other" })).project.id;
  await storeTestEvents(
    services.db,
    Array.from({ length: 25 }, (_, i) =>
      testEvent(projectId, { at: BASE + i * 3_600_000, sessionId: `s${i % 4}`, path: i % 2 ? "/a" : "/b" }),
    ),
  );
}, 60_000);

afterAll(async () => {
  await services?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the Stats API on PGlite", () => {
  it("answers what the tRPC procedures answer, and 404 for another project", async () => {
    const { key } = await owner.caller.apiKeys.create({ projectId, name: "ci", scopes: ["stats:read"] });
    const get = (endpoint: string, params: Record<string, string>) =>
      app.request(`http://localhost/api/v1/stats/${endpoint}?${new URLSearchParams(params)}`, {
        headers: { authorization: `Bearer ${key}` },
      });
    const aggregate = await get("aggregate", { project_id: projectId, from: FROM, to: TO });
    expect(aggregate.status).toBe(200);
    expect(await aggregate.json()).toEqual(
      JSON.parse(JSON.stringify(await owner.caller.analytics.overview({ projectId, from: FROM, to: TO }))),
    );
    const breakdown = await get("breakdown", { project_id: projectId, from: FROM, to: TO, dimension: "path" });
    expect(await breakdown.json()).toEqual(
      await owner.caller.analytics.breakdown({ projectId, from: FROM, to: TO, dimension: "path" }),
    );
    expect((await get("aggregate", { project_id: otherProjectId, from: FROM, to: TO })).status).toBe(404);
  });
});

describe("a share session on PGlite", () => {
  it("reads its own project and answers NOT_FOUND for a forged one", async () => {
    const share = await owner.caller.shares.create({ projectId });
    const opened = await callTrpcOverHttp(app, "mutation", "shares.open", { token: share.token });
    const headers = { [SHARE_SESSION_HEADER]: (opened.data as { session: string }).session };
    const own = await callTrpcOverHttp(app, "query", "analytics.overview", { projectId, from: FROM, to: TO }, headers);
    expect((own.data as { totalEvents: number }).totalEvents).toBe(25);
    const forged = { projectId: otherProjectId, from: FROM, to: TO };
    expect((await callTrpcOverHttp(app, "query", "analytics.overview", forged, headers)).error?.data.code).toBe(
      "NOT_FOUND",
    );
    await owner.caller.shares.revoke({ projectId, id: share.id });
    expect((await app.request(`http://localhost${share.url}`)).status).toBe(404);
  });
});
