import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../db/client.ts";
import type { RunningServer } from "../../http/serve.ts";
import {
  countEvents,
  createTestProject,
  makeEvents,
  sumRollupCounts,
  type TestProject,
  waitFor,
} from "../../test-support/ingest-fixtures.ts";
import { createTestServices, startTestServer, type TestServices } from "../../test-support/services.ts";
import type { EventStream, StreamEntry } from "../stream/event-stream.ts";
import { processEntries } from "./process-entries.ts";
import { liveChannel } from "./publish-stored-events.ts";
import { type RunningWorker, startWorkerLoop } from "./worker-loop.ts";

let t: TestServices;
let server: RunningServer;

beforeAll(async () => {
  t = await createTestServices();
  server = startTestServer(t.services);
});
afterAll(async () => {
  await server.stop();
  await t.cleanup();
});

function startTestWorker(
  options: { consumer?: string; claimIdleMs?: number; claimEveryMs?: number } = {},
): RunningWorker {
  const { db, stream, pubsub, logger } = t.services;
  return startWorkerLoop(
    { db, stream, pubsub, logger },
    { consumer: options.consumer ?? `w-${Bun.randomUUIDv7()}`, batchSize: 50, blockMs: 200, ...options },
  );
}

async function send(apiKey: string, events: unknown[], headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/v1/events/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey, ...headers },
    body: JSON.stringify({ events }),
  });
  return { status: res.status, body: (await res.json()) as { accepted: number } };
}

/** Runs `tasks` with at most `limit` in flight. */
async function inParallel<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

describe("the event pipeline", () => {
  let project: TestProject;
  const batches = Array.from({ length: 100 }, (_, b) => makeEvents(100, `batch-${b}`));

  it("stores 10,000 events sent in 100 batches exactly once, rollups included", async () => {
    project = await createTestProject(t.services.db);
    const worker = startTestWorker();
    try {
      const answers = await inParallel(
        10,
        batches.map((events) => () => send(project.apiKey, events)),
      );
      expect(answers.every((a) => a.status === 202 && a.body.accepted === 100)).toBe(true);
      expect(await waitFor(async () => (await countEvents(t.services.db, project.projectId)) === 10_000, 20_000)).toBe(
        true,
      );
      expect(await sumRollupCounts(t.services.db, project.projectId)).toBe(10_000);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it("adds nothing when the same batches are sent again", async () => {
    const worker = startTestWorker();
    try {
      const answers = await inParallel(
        10,
        batches.map((events) => () => send(project.apiKey, events)),
      );
      expect(answers.every((a) => a.status === 202)).toBe(true);
      expect(
        await waitFor(
          async () =>
            (await t.services.stream.backlog()).lag === 0 && (await t.services.stream.backlog()).pending === 0,
          20_000,
        ),
      ).toBe(true);
      expect(await countEvents(t.services.db, project.projectId)).toBe(10_000);
      expect(await sumRollupCounts(t.services.db, project.projectId)).toBe(10_000);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it("stores enriched columns parsed at the edge", async () => {
    const p = await createTestProject(t.services.db);
    const worker = startTestWorker();
    try {
      const userAgent =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
      await send(
        p.apiKey,
        [
          {
            event: "page_view",
            page_url: "https://shop.example.com/pricing?utm_source=news&utm_medium=mail&utm_campaign=june",
            referrer: "https://www.google.com/search?q=a",
          },
        ],
        { "user-agent": userAgent },
      );
      expect(await waitFor(async () => (await countEvents(t.services.db, p.projectId)) === 1)).toBe(true);
      const [row] = await queryRows<Record<string, string | null>>(
        t.services.db,
        sql`select path, host, referrer_host, utm_source, utm_medium, utm_campaign, browser, os, device, ip_hash, user_agent
            from events where project_id = ${p.projectId}`,
      );
      expect(row).toMatchObject({
        path: "/pricing",
        host: "shop.example.com",
        referrer_host: "www.google.com",
        utm_source: "news",
        utm_medium: "mail",
        utm_campaign: "june",
        browser: "Mobile Safari",
        os: "iOS",
        device: "mobile",
        user_agent: userAgent,
      });
      expect(row!.ip_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row!.ip_hash).not.toContain("127.0.0.1");
    } finally {
      await worker.stop();
    }
  });

  it("stores NUL and lone surrogates cleaned, and __proto__ as a plain key", async () => {
    const p = await createTestProject(t.services.db);
    const worker = startTestWorker();
    try {
      const body = String.raw`{"events":[{"event":"sign\u0000up","distinct_id":"\ud800x","properties":{"__proto__":{"a":1},"k\u0000":"v\udfff"}}]}`;
      const res = await fetch(`${server.url}/api/v1/events/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": p.apiKey },
        body,
      });
      expect(res.status).toBe(202);
      expect(await waitFor(async () => (await countEvents(t.services.db, p.projectId)) === 1)).toBe(true);
      const [row] = await queryRows<{ event_name: string; distinct_id: string; properties: Record<string, unknown> }>(
        t.services.db,
        sql`select event_name, distinct_id, properties from events where project_id = ${p.projectId}`,
      );
      expect(row!.event_name).toBe("signup");
      expect(row!.distinct_id).toBe("\ufffdx");
      expect(Object.keys(row!.properties).sort()).toEqual(["__proto__", "k"]);
    } finally {
      await worker.stop();
    }
  });

  it("publishes each stored event to the project's live channel after the commit", async () => {
    const p = await createTestProject(t.services.db);
    const received: unknown[] = [];
    const unsubscribe = await t.services.pubsub.subscribe(liveChannel(p.projectId), (message) =>
      received.push(...JSON.parse(message)),
    );
    const worker = startTestWorker();
    try {
      await send(p.apiKey, [{ event: "live_one", distinct_id: "u1", properties: { a: 1 } }, { event: "live_two" }]);
      expect(await waitFor(async () => received.length === 2)).toBe(true);
      expect(received[0]).toMatchObject({ event: "live_one", distinctId: "u1", properties: { a: 1 }, sessionId: null });
    } finally {
      await worker.stop();
      await unsubscribe();
    }
  });
});

describe("processEntries", () => {
  it("counts nothing twice when the worker crashed between COMMIT and XACK", async () => {
    const p = await createTestProject(t.services.db);
    await send(p.apiKey, makeEvents(40));
    const consumer = `crashy-${Bun.randomUUIDv7()}`;
    const entries = await t.services.stream.readNew(consumer, 100, 100);
    expect(entries.length).toBeGreaterThan(0);
    // The "crash": the transaction commits, then the acknowledgement never happens.
    const crashingStream: EventStream = Object.assign(Object.create(t.services.stream) as EventStream, {
      ack: async () => {
        throw new Error("killed before XACK");
      },
    });
    const deps = { db: t.services.db, stream: crashingStream, pubsub: t.services.pubsub, logger: t.services.logger };
    await expect(processEntries(deps, entries)).rejects.toThrow("killed before XACK");
    expect(await countEvents(t.services.db, p.projectId)).toBe(40);

    // The restarted worker gets the same entries again (its own pending list) and stores them again.
    const redelivered = await t.services.stream.readOwnPending(consumer, 100, "0");
    expect(redelivered.map((e) => e.id)).toEqual(entries.map((e) => e.id));
    const outcome = await processEntries({ ...deps, stream: t.services.stream }, redelivered);
    expect(outcome).toMatchObject({ inserted: 0, duplicates: 40, acked: entries.length });
    expect(await countEvents(t.services.db, p.projectId)).toBe(40);
    expect(await sumRollupCounts(t.services.db, p.projectId)).toBe(40);
  });

  it("stores the good events around a bad one and dead-letters the bad one's entry after 5 deliveries", async () => {
    const p = await createTestProject(t.services.db);
    const now = Date.now();
    const entry = (events: unknown[]) =>
      JSON.stringify({ v: 1, p: p.projectId, r: now, u: null, i: null, b: null, o: null, d: null, e: events });
    const event = (id: string, properties: unknown) => [
      id,
      "e",
      null,
      null,
      now,
      null,
      null,
      properties,
      null,
      null,
      null,
      null,
      null,
      null,
    ];
    // PostgreSQL's jsonb refuses U+0000: ingest cleans it, so only a hand-made entry can carry it.
    await t.services.stream.append(entry([event("good-1", {}), event("bad", { x: "\u0000" }), event("good-2", {})]));
    await t.services.stream.append(entry([event("good-3", {})]));
    await t.services.stream.append("not json at all");

    const worker = startTestWorker({ claimIdleMs: 20, claimEveryMs: 20 });
    try {
      expect(await waitFor(async () => (await t.services.stream.readDeadLetters(100)).length >= 2, 15_000)).toBe(true);
    } finally {
      await worker.stop();
    }
    const [{ ids }] = (await queryRows<{ ids: string[] }>(
      t.services.db,
      sql`select array_agg(insert_id order by insert_id) as ids from events where project_id = ${p.projectId}`,
    )) as [{ ids: string[] }];
    expect(ids).toEqual(["good-1", "good-2", "good-3"]);
    expect(await sumRollupCounts(t.services.db, p.projectId)).toBe(3);
    const dead = await t.services.stream.readDeadLetters(100);
    const reasons = dead.map((d) => d.reason);
    expect(reasons.some((r) => r.includes("insert_id bad"))).toBe(true);
    expect(reasons.some((r) => r.includes("cannot parse"))).toBe(true);
    expect(dead.every((d) => d.deliveries === 5)).toBe(true);
    const backlog = await t.services.stream.backlog();
    expect(backlog.pending).toBe(0);
  }, 30_000);

  it("leaves nothing pending after a batch is stored", async () => {
    const p = await createTestProject(t.services.db);
    await send(p.apiKey, makeEvents(5));
    const entries: StreamEntry[] = await t.services.stream.readNew(`solo-${Bun.randomUUIDv7()}`, 10, 100);
    const outcome = await processEntries(
      { db: t.services.db, stream: t.services.stream, pubsub: t.services.pubsub, logger: t.services.logger },
      entries,
    );
    expect(outcome).toMatchObject({ inserted: 5, acked: entries.length, retried: 0 });
    expect((await t.services.stream.backlog()).pending).toBe(0);
  });
});
