import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import type { LiveEvent } from "../../../shared/ingest.ts";
import { startSession } from "../../auth/sessions.ts";
import { issueWsTicket } from "../../auth/ws-ticket.ts";
import { queryRows } from "../../db/client.ts";
import { liveChannel } from "../../pipeline/worker/publish-stored-events.ts";
import { type RunningWorker, startWorkerLoop } from "../../pipeline/worker/worker-loop.ts";
import { createTestProject, makeEvents, type TestProject } from "../../test-support/ingest-fixtures.ts";
import { createTestServices, startTestServer, type TestServices } from "../../test-support/services.ts";
import { LiveHub, type LiveSocket } from "../live/live-hub.ts";
import type { RunningServer } from "../serve.ts";

const DASHBOARD = "https://dashboard.example.com";

let t: TestServices;
let server: RunningServer;
let worker: RunningWorker;
let owner: TestProject;
let other: TestProject;

beforeAll(async () => {
  t = await createTestServices({ CORS_ORIGINS: DASHBOARD });
  server = startTestServer(t.services);
  const { db, stream, pubsub, logger } = t.services;
  worker = startWorkerLoop({ db, stream, pubsub, logger }, { consumer: "live-test", batchSize: 50, blockMs: 200 });
  owner = await createTestProject(db);
  other = await createTestProject(db);
});
afterAll(async () => {
  await worker.stop();
  await server.stop();
  await t.cleanup();
});

async function ticketFor(project: TestProject, projectId = project.projectId) {
  const session = await startSession(t.services, project.userId);
  return (await issueWsTicket(t.services, { projectId, userId: project.userId, sessionId: session.sessionId })).ticket;
}

function wsUrl(projectId: string, ticket: string) {
  return `${server.url.replace("http", "ws")}/api/v1/ws/events/${projectId}?ticket=${encodeURIComponent(ticket)}`;
}

/** Opens a socket; resolves with it once open, or with the close/error outcome when refused. */
function connect(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, { headers } as unknown as string[]);
  const messages: unknown[] = [];
  socket.onmessage = (event) => messages.push(JSON.parse(String(event.data)));
  const opened = new Promise<boolean>((resolve) => {
    socket.onopen = () => resolve(true);
    socket.onerror = () => resolve(false);
    socket.onclose = () => resolve(false);
  });
  return { socket, messages, opened };
}

async function upgradeStatus(projectId: string, ticket: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/v1/ws/events/${projectId}?ticket=${encodeURIComponent(ticket)}`, {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      ...headers,
    },
  });
  return res.status;
}

async function ingest(apiKey: string, events: unknown[]) {
  const res = await fetch(`${server.url}/api/v1/events/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(202);
}

describe("GET /api/v1/ws/events/:projectId", () => {
  it("pushes each stored event of the project to a socket opened with a ticket", async () => {
    const { socket, messages, opened } = connect(wsUrl(owner.projectId, await ticketFor(owner)), { origin: DASHBOARD });
    try {
      expect(await opened).toBe(true);
      await Bun.sleep(50);
      await ingest(owner.apiKey, [
        {
          event: "signup",
          distinct_id: "u1",
          session_id: "s1",
          page_url: "https://a.example/x",
          properties: { plan: "pro" },
        },
      ]);
      await ingest(other.apiKey, makeEvents(3));
      const deadline = Date.now() + 5_000;
      while (messages.length < 1 && Date.now() < deadline) await Bun.sleep(20);
      await Bun.sleep(200);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toEqual({
        insertId: expect.any(String),
        event: "signup",
        distinctId: "u1",
        sessionId: "s1",
        properties: { plan: "pro" },
        pageUrl: "https://a.example/x",
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    } finally {
      socket.close();
    }
  });

  it("opens with the project's latest stored events, oldest of them first, then goes live", async () => {
    const project = await createTestProject(t.services.db);
    const base = Date.now() - 60 * 60_000;
    const stored = Array.from({ length: 55 }, (_, i) => ({
      event: `past-${i}`,
      session_id: "s-past",
      timestamp: new Date(base + i * 60_000).toISOString(),
    }));
    await ingest(project.apiKey, stored);
    await ingest(project.apiKey, [{ event: "future", timestamp: new Date(Date.now() + 3_600_000).toISOString() }]);
    const waitUntil = Date.now() + 5_000;
    while (Date.now() < waitUntil) {
      const [row] = await queryRows<{ n: number }>(
        t.services.db,
        sql`select count(*)::int as n from events where project_id = ${project.projectId}::uuid`,
      );
      if (Number(row?.n) === 56) break;
      await Bun.sleep(20);
    }
    const { socket, messages, opened } = connect(wsUrl(project.projectId, await ticketFor(project)), {
      origin: DASHBOARD,
    });
    try {
      expect(await opened).toBe(true);
      const deadline = Date.now() + 5_000;
      while (messages.length < 50 && Date.now() < deadline) await Bun.sleep(20);
      const names = (messages as Array<{ event: string }>).map((m) => m.event);
      // The 50 latest up to now (past-5 .. past-54), sent oldest first so each is the newest so far.
      expect(names).toEqual(Array.from({ length: 50 }, (_, i) => `past-${i + 5}`));
      await ingest(project.apiKey, [{ event: "live-one", session_id: "s-live" }]);
      while (messages.length < 51 && Date.now() < deadline) await Bun.sleep(20);
      await Bun.sleep(100);
      expect((messages as Array<{ event: string }>).map((m) => m.event).slice(50)).toEqual(["live-one"]);
    } finally {
      socket.close();
    }
  });

  it("accepts a ticket once only", async () => {
    const ticket = await ticketFor(owner);
    const first = connect(wsUrl(owner.projectId, ticket));
    expect(await first.opened).toBe(true);
    first.socket.close();
    expect(await upgradeStatus(owner.projectId, ticket)).toBe(401);
  });

  it("refuses a ticket for another user's project", async () => {
    const ticket = await ticketFor(owner);
    expect(await upgradeStatus(other.projectId, ticket)).toBe(403);
  });

  it("refuses a ticket naming a project its user does not own", async () => {
    const forged = await ticketFor(owner, other.projectId);
    expect(await upgradeStatus(other.projectId, forged)).toBe(403);
  });

  it("refuses a missing or made-up ticket", async () => {
    expect(await upgradeStatus(owner.projectId, "")).toBe(401);
    expect(await upgradeStatus(owner.projectId, "A".repeat(43))).toBe(401);
  });

  it("refuses a browser Origin that is not an allowed dashboard origin, and leaves its ticket unused", async () => {
    const ticket = await ticketFor(owner);
    expect(await upgradeStatus(owner.projectId, ticket, { origin: "https://evil.example" })).toBe(403);
    const { socket, opened } = connect(wsUrl(owner.projectId, ticket), { origin: DASHBOARD });
    expect(await opened).toBe(true);
    socket.close();
  });

  it("answers 426 to a plain GET without using the ticket", async () => {
    const ticket = await ticketFor(owner);
    const res = await fetch(wsUrl(owner.projectId, ticket).replace("ws", "http"));
    expect(res.status).toBe(426);
    const { socket, opened } = connect(wsUrl(owner.projectId, ticket));
    expect(await opened).toBe(true);
    socket.close();
  });
});

describe("LiveHub", () => {
  function fakeSocket(buffered = 0) {
    const sent: string[] = [];
    const closed: number[] = [];
    const socket: LiveSocket = {
      send: (data) => void sent.push(data),
      bufferedAmount: () => buffered,
      close: (code) => void closed.push(code),
    };
    return { socket, sent, closed };
  }

  it("subscribes once per project however many sockets watch it, and drops the subscription with the last", async () => {
    const hub = new LiveHub(t.services.pubsub, t.services.logger);
    const projectId = crypto.randomUUID();
    const a = fakeSocket();
    const b = fakeSocket();
    await hub.join(projectId, a.socket);
    await hub.join(projectId, b.socket);
    await t.services.pubsub.publish(liveChannel(projectId), JSON.stringify([{ event: "x" }, { event: "y" }]));
    await Bun.sleep(100);
    expect(a.sent).toEqual(['{"event":"x"}', '{"event":"y"}']);
    expect(b.sent).toEqual(a.sent);
    await hub.leave(projectId, a.socket);
    await hub.leave(projectId, b.socket);
    expect(hub.watchers(projectId)).toBe(0);
  });

  const liveEvent = (insertId: string): LiveEvent => ({
    insertId,
    event: insertId,
    distinctId: null,
    sessionId: "s",
    properties: {},
    pageUrl: null,
    timestamp: "2026-12-01T10:00:00.000Z",
  });

  it("sends the backfill, then the events published while it was read that it did not hold, each once", async () => {
    const hub = new LiveHub(t.services.pubsub, t.services.logger);
    const projectId = crypto.randomUUID();
    const a = fakeSocket();
    // The race: events stored after the subscription but before the backfill's read are in both.
    const backfill = async () => {
      await t.services.pubsub.publish(liveChannel(projectId), JSON.stringify([liveEvent("b1"), liveEvent("n1")]));
      await Bun.sleep(100);
      return [liveEvent("b1"), liveEvent("b2"), liveEvent("b3")];
    };
    await hub.join(projectId, a.socket, backfill);
    await t.services.pubsub.publish(liveChannel(projectId), JSON.stringify([liveEvent("n2")]));
    await Bun.sleep(100);
    expect(a.sent.map((frame) => (JSON.parse(frame) as LiveEvent).insertId)).toEqual(["b3", "b2", "b1", "n1", "n2"]);
    await hub.leave(projectId, a.socket);
  });

  it("closes a socket that falls behind without holding back the others", async () => {
    const hub = new LiveHub(t.services.pubsub, t.services.logger, 1024);
    const projectId = crypto.randomUUID();
    const slow = fakeSocket(10_000);
    const fast = fakeSocket();
    await hub.join(projectId, slow.socket);
    await hub.join(projectId, fast.socket);
    await t.services.pubsub.publish(liveChannel(projectId), JSON.stringify([{ event: "x" }]));
    await Bun.sleep(100);
    expect(slow.closed).toEqual([1013]);
    expect(slow.sent).toEqual([]);
    expect(fast.sent).toEqual(['{"event":"x"}']);
    expect(hub.watchers(projectId)).toBe(1);
    await hub.leave(projectId, fast.socket);
  });
});
