/**
 * The person export (GET /api/v1/people/{distinctId}/export) and people.delete end to end on PostgreSQL and Redis:
 * events sent through ingest and stored by the worker; the export holds every stored event under every id and the
 * traits, across keyset chunks; nobody else can read or delete the person (404 / NOT_FOUND alike); events still in
 * the stream when the person is deleted are dropped by the worker (suppressed, counted in the metric), ingest still
 * answers 202, and afterwards the person is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { EXPORT_CHUNK_ROWS } from "../../../shared/export.ts";
import { queryRows } from "../../db/client.ts";
import { type RunningWorker, startWorkerLoop } from "../../pipeline/worker/worker-loop.ts";
import { registerAndSignIn, type SignedInUser } from "../../test-support/auth.ts";
import { waitFor } from "../../test-support/ingest-fixtures.ts";
import { createTestServices, startTestServer, type TestServices } from "../../test-support/services.ts";
import { failure } from "../../test-support/trpc-failure.ts";
import type { RunningServer } from "../serve.ts";

let t: TestServices;
let server: RunningServer;
let owner: SignedInUser;
let stranger: SignedInUser;
let projectId: string;
let apiKey: string;
let otherProjectId: string;
let otherApiKey: string;
const ANON_EVENTS = EXPORT_CHUNK_ROWS + 3;

function startTestWorker(): RunningWorker {
  const { db, stream, pubsub, logger, metrics } = t.services;
  return startWorkerLoop(
    { db, stream, pubsub, logger, storedEvents: metrics.storedEvents, suppressedEvents: metrics.suppressedEvents },
    { consumer: "people-export-test", batchSize: 500, blockMs: 100 },
  );
}

async function send(key: string, events: unknown[]) {
  const res = await fetch(`${server.url}/api/v1/events/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ events }),
  });
  return res.status;
}

async function storedCount(project: string, ids: string[]): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    t.services.db,
    sql`select count(*)::int as n from events where project_id = ${project}::uuid
         and distinct_id in (select json_array_elements_text(${JSON.stringify(ids)}::json))`,
  );
  return row!.n;
}

async function drained(): Promise<boolean> {
  const backlog = await t.services.stream.backlog();
  return backlog.pending + backlog.lag === 0;
}

function exportOf(distinctId: string, project: string, user: SignedInUser | null = owner) {
  const headers: Record<string, string> = user ? { authorization: `Bearer ${user.login.accessToken}` } : {};
  return fetch(
    `${server.url}/api/v1/people/${encodeURIComponent(distinctId)}/export?${new URLSearchParams({ projectId: project })}`,
    { headers },
  );
}

const pageView = (distinctId: string, i: number, extra: Record<string, unknown> = {}) => ({
  event: "page_view",
  insert_id: `${distinctId}-${i}`,
  distinct_id: distinctId,
  session_id: `s-${distinctId}-${Math.floor(i / 50)}`,
  page_url: `https://shop.example.com/p/${i % 3}`,
  properties: { i },
  ...extra,
});

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000", INGEST_RATE_LIMIT_PER_MINUTE: "1000000" });
  server = startTestServer(t.services);
  // The first account is the administrator, who holds every role on every project: owner and stranger come after.
  await registerAndSignIn(t.services);
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  const created = await owner.caller.projects.create({ name: "Privacy" });
  [projectId, apiKey] = [created.project.id, created.apiKey];
  const other = await stranger.caller.projects.create({ name: "Theirs" });
  [otherProjectId, otherApiKey] = [other.project.id, other.apiKey];

  const anon = Array.from({ length: ANON_EVENTS }, (_, i) => pageView("anon-pat", i));
  for (let i = 0; i < anon.length; i += 100) expect(await send(apiKey, anon.slice(i, i + 100))).toBe(202);
  expect(
    await send(apiKey, [
      {
        event: "$identify",
        insert_id: "pat-identify",
        distinct_id: "pat",
        properties: { $anon_distinct_id: "anon-pat", $set: { plan: "pro", email: "pat@example.test" } },
      },
      pageView("pat", 1),
      pageView("bob", 1),
    ]),
  ).toBe(202);
  expect(await send(otherApiKey, [pageView("pat", 1)])).toBe(202);
  const worker = startTestWorker();
  expect(
    await waitFor(async () => (await storedCount(projectId, ["anon-pat", "pat", "bob"])) === ANON_EVENTS + 3, 60_000),
  ).toBe(true);
  expect(await waitFor(async () => (await storedCount(otherProjectId, ["pat"])) === 1, 10_000)).toBe(true);
  await worker.stop();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await t?.cleanup();
});

describe("GET /api/v1/people/{distinctId}/export", () => {
  it("streams the person's traits and every stored event under every id as NDJSON", async () => {
    const res = await exportOf("anon-pat", projectId);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const [person, ...events] = lines;
    expect(person).toMatchObject({ type: "person", distinctId: "pat", aliases: ["anon-pat"] });
    expect(person!.traits).toEqual({ plan: "pro", email: "pat@example.test" });
    expect(events.every((e) => e.type === "event")).toBe(true);
    const [stored] = await queryRows<{ ids: string[] }>(
      t.services.db,
      sql`select array_agg(insert_id order by insert_id) as ids from events
           where project_id = ${projectId}::uuid and distinct_id in ('pat', 'anon-pat')`,
    );
    expect(events.map((e) => e.insert_id as string).sort()).toEqual(stored!.ids.sort());
    expect(events.length).toBe(ANON_EVENTS + 2);
    const identify = events.find((e) => e.insert_id === "pat-identify")!;
    expect(identify).toMatchObject({ event_name: "$identify", distinct_id: "pat" });
    expect(identify.properties).toMatchObject({ $anon_distinct_id: "anon-pat" });
  });

  it("answers 401 without a login and 404 for someone else's project or person", async () => {
    expect((await exportOf("pat", projectId, null)).status).toBe(401);
    expect((await exportOf("pat", projectId, stranger)).status).toBe(404);
    expect((await exportOf("pat", otherProjectId)).status).toBe(404);
    expect((await exportOf("nobody", projectId)).status).toBe(404);
    expect(
      (
        await fetch(`${server.url}/api/v1/people/pat/export?projectId=nope`, {
          headers: { authorization: `Bearer ${owner.login.accessToken}` },
        })
      ).status,
    ).toBe(400);
  });
});

describe("people.delete", () => {
  it("answers NOT_FOUND for another user's project and for another project's person", async () => {
    expect((await failure(stranger.caller.people.delete({ projectId, distinctId: "pat" }))).code).toBe("NOT_FOUND");
    expect((await failure(owner.caller.people.delete({ projectId: otherProjectId, distinctId: "pat" }))).code).toBe(
      "NOT_FOUND",
    );
    expect(await storedCount(projectId, ["pat", "anon-pat"])).toBe(ANON_EVENTS + 2);
  });

  it("drops the person's events still in the stream, answers ingest 202 and counts them as suppressed", async () => {
    // Queued while no worker runs: they sit in the stream when the deletion happens.
    expect(await send(apiKey, [pageView("pat", 2), pageView("anon-pat", 99_999), pageView("bob", 2)])).toBe(202);
    const deleted = await owner.caller.people.delete({ projectId, distinctId: "pat" });
    expect(deleted.distinctIds.sort()).toEqual(["anon-pat", "pat"]);
    expect(deleted.events).toBe(ANON_EVENTS + 2);
    // Sent after the deletion, naming the alias as the previous id.
    expect(
      await send(apiKey, [
        {
          event: "$identify",
          insert_id: "late",
          distinct_id: "pat-again",
          properties: { $anon_distinct_id: "anon-pat" },
        },
      ]),
    ).toBe(202);
    const worker = startTestWorker();
    expect(await waitFor(drained, 30_000)).toBe(true);
    await worker.stop();
    expect(await storedCount(projectId, ["pat", "anon-pat", "pat-again"])).toBe(0);
    expect(await storedCount(projectId, ["bob"])).toBe(2);
    expect(await storedCount(otherProjectId, ["pat"])).toBe(1);
    const { body } = await t.services.metrics.render();
    expect(body).toContain('analytics_events_suppressed_total{consumer="people-export-test"} 3');
    expect((await exportOf("pat", projectId)).status).toBe(404);
    expect((await failure(owner.caller.people.get({ projectId, distinctId: "anon-pat" }))).code).toBe("NOT_FOUND");
  }, 60_000);
});
