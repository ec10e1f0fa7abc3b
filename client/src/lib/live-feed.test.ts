import { describe, expect, it } from "bun:test";
import { LIVE_CLOSE_CODES } from "../../../shared/live.ts";
import {
  type AccessEnded,
  accessEndedBy,
  createLiveFeed,
  type LiveEvent,
  type LiveStatus,
  parseLiveMessage,
  reconnectDelay,
  type SocketLike,
} from "./live-feed.ts";

class FakeSocket implements SocketLike {
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  closed = false;
  constructor(readonly ticket: string) {}
  open() {
    this.onopen?.({});
  }
  send(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(reason = "", code = 1006) {
    this.onclose?.({ code, reason });
  }
  close() {
    this.closed = true;
  }
}

/** A feed wired to fake sockets, a fake clock and a manual timer queue. */
function harness(options: { ticketFails?: () => boolean } = {}) {
  let now = 0;
  let tickets = 0;
  const sockets: FakeSocket[] = [];
  const timers: Array<{ at: number; run: () => void; cancelled: boolean }> = [];
  const statuses: LiveStatus[] = [];
  const accessEnded: AccessEnded[] = [];
  let events: readonly LiveEvent[] = [];
  const feed = createLiveFeed({
    getTicket: async () => {
      tickets += 1;
      if (options.ticketFails?.()) throw new Error("ticket refused");
      return { ticket: `t${tickets}` };
    },
    openSocket: (ticket) => {
      const socket = new FakeSocket(ticket);
      sockets.push(socket);
      return socket;
    },
    onEvents: (list) => {
      events = list;
    },
    onStatus: (status) => statuses.push(status),
    onAccessEnded: (where) => accessEnded.push(where),
    schedule: (run, ms) => {
      const timer = { at: now + ms, run, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    now: () => now,
  });
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
  return {
    feed,
    sockets,
    statuses,
    accessEnded,
    get events() {
      return events;
    },
    get tickets() {
      return tickets;
    },
    lastSocket: () => sockets.at(-1)!,
    lastStatus: () => statuses.at(-1)!,
    flush,
    advance: async (ms: number) => {
      now += ms;
      for (const timer of timers.filter((t) => !t.cancelled && t.at <= now)) {
        timer.cancelled = true;
        timer.run();
      }
      await flush();
    },
    /** Lets the pending retry fire, whatever its delay. */
    fireNextRetry: async () => {
      const next = timers.filter((t) => !t.cancelled).sort((a, b) => a.at - b.at)[0];
      if (!next) throw new Error("no retry scheduled");
      now = next.at;
      next.cancelled = true;
      next.run();
      await flush();
    },
  };
}

describe("reconnectDelay", () => {
  it("doubles from one second and stops at thirty", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map((attempt) => reconnectDelay(attempt))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });
});

describe("createLiveFeed", () => {
  it("connects with a fresh ticket and reports when it is live", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    expect(h.lastSocket().ticket).toBe("t1");
    h.lastSocket().open();
    expect(h.lastStatus()).toEqual({ state: "open" });
  });

  it("keeps the newest events first and at most 100 of them", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    h.lastSocket().open();
    for (let i = 0; i < 120; i++) h.lastSocket().send({ event: `e${i}`, timestamp: "2026-11-26T10:00:00Z" });
    expect(h.events).toHaveLength(100);
    expect(h.events[0]!.event).toBe("e119");
    expect(h.events[99]!.event).toBe("e20");
  });

  it("inserts each event at its timestamp's place, newest first, whatever order they arrive in", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    h.lastSocket().open();
    const at = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, "0")}:00.000Z`;
    for (const minute of [5, 1, 9, 3])
      h.lastSocket().send({ insertId: `i${minute}`, event: `m${minute}`, timestamp: at(minute) });
    expect(h.events.map((e) => e.event)).toEqual(["m9", "m5", "m3", "m1"]);
  });

  it("shows an event once when a reconnect's backfill sends it again", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    h.lastSocket().open();
    h.lastSocket().send({ insertId: "a", event: "first", timestamp: "2026-11-26T10:00:00Z" });
    h.lastSocket().drop();
    await h.fireNextRetry();
    h.lastSocket().open();
    h.lastSocket().send({ insertId: "a", event: "first", timestamp: "2026-11-26T10:00:00Z" });
    h.lastSocket().send({ insertId: "b", event: "second", timestamp: "2026-11-26T10:01:00Z" });
    expect(h.events.map((e) => e.event)).toEqual(["second", "first"]);
  });

  it("keeps the 100 latest by timestamp and drops an event older than all of a full list", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    h.lastSocket().open();
    for (let i = 0; i < 100; i++)
      h.lastSocket().send({
        insertId: `i${i}`,
        event: `e${i}`,
        timestamp: new Date(Date.UTC(2026, 10, 26, 10, i)).toISOString(),
      });
    h.lastSocket().send({ insertId: "old", event: "old", timestamp: "2026-11-26T09:00:00Z" });
    expect(h.events).toHaveLength(100);
    expect(h.events.some((e) => e.event === "old")).toBe(false);
    h.lastSocket().send({ insertId: "mid", event: "mid", timestamp: "2026-11-26T10:50:30Z" });
    expect(h.events).toHaveLength(100);
    expect(h.events[49]!.event).toBe("mid");
    expect(h.events[99]!.event).toBe("e1");
  });

  it("retries after a drop with backoff of 1, 2, 4 ... 30 seconds and a new ticket each time", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      h.lastSocket().drop();
      const status = h.lastStatus();
      if (status.state !== "waiting") throw new Error(`expected a wait, got ${status.state}`);
      delays.push(status.retryInMs);
      await h.fireNextRetry();
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(new Set(h.sockets.map((s) => s.ticket)).size).toBe(h.sockets.length);
  });

  it("gives up after ten tries and waits for the person to reconnect", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    for (let i = 0; i < 10; i++) {
      h.lastSocket().drop();
      expect(h.lastStatus()).toMatchObject({ state: "waiting", attempt: i + 1 });
      await h.fireNextRetry();
    }
    h.lastSocket().drop("server gone");
    expect(h.lastStatus()).toEqual({ state: "offline", reason: "server gone" });
    expect(h.sockets).toHaveLength(11);

    h.feed.reconnect();
    await h.flush();
    expect(h.sockets).toHaveLength(12);
    h.lastSocket().open();
    expect(h.lastStatus()).toEqual({ state: "open" });
  });

  it("counts a ticket that cannot be had as a failed try", async () => {
    const h = harness({ ticketFails: () => true });
    h.feed.start();
    await h.flush();
    expect(h.lastStatus()).toMatchObject({ state: "waiting", attempt: 1, reason: "ticket refused" });
    expect(h.sockets).toHaveLength(0);
  });

  it("starts the backoff afresh after a connection that stayed up", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    h.lastSocket().drop();
    await h.fireNextRetry();
    h.lastSocket().drop();
    expect(h.lastStatus()).toMatchObject({ state: "waiting", attempt: 2 });
    await h.fireNextRetry();
    h.lastSocket().open();
    await h.advance(60_000);
    h.lastSocket().drop();
    expect(h.lastStatus()).toMatchObject({ state: "waiting", attempt: 1, retryInMs: 1000 });
  });

  it("keeps backing off when the server accepts and closes at once", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    for (let attempt = 1; attempt <= 3; attempt++) {
      h.lastSocket().open();
      h.lastSocket().drop();
      expect(h.lastStatus()).toMatchObject({ state: "waiting", attempt });
      await h.fireNextRetry();
    }
  });

  it("closes the socket and stops retrying when stopped", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    const socket = h.lastSocket();
    socket.open();
    h.feed.stop();
    expect(socket.closed).toBe(true);
    socket.drop();
    expect(h.lastStatus()).toEqual({ state: "stopped" });
    await h.advance(120_000);
    expect(h.sockets).toHaveLength(1);
  });
});

describe("accessEndedBy", () => {
  it("sends an ended login to sign in and a lost project to the projects list", () => {
    expect(accessEndedBy(LIVE_CLOSE_CODES.loginEnded)).toBe("sign-in");
    expect(accessEndedBy(4401)).toBe("sign-in");
    expect(accessEndedBy(LIVE_CLOSE_CODES.projectAccessEnded)).toBe("projects");
    expect(accessEndedBy(4403)).toBe("projects");
  });

  it("treats every other close as an ordinary drop", () => {
    for (const code of [1000, 1001, 1006, 1011, 1013, 4000, 4400, 4404]) expect(accessEndedBy(code)).toBeNull();
  });
});

describe("createLiveFeed when access ends", () => {
  for (const [code, where] of [
    [4401, "sign-in"],
    [4403, "projects"],
  ] as const) {
    it(`stops for good and reports "${where}" when the server closes with ${code}`, async () => {
      const h = harness();
      h.feed.start();
      await h.flush();
      h.lastSocket().open();
      h.lastSocket().drop("access ended", code);
      expect(h.accessEnded).toEqual([where]);
      expect(h.lastStatus()).toEqual({ state: "stopped" });
      await h.advance(120_000);
      expect(h.sockets).toHaveLength(1);
      expect(h.tickets).toBe(1);
    });
  }

  it("still retries an ordinary drop without reporting anything", async () => {
    const h = harness();
    h.feed.start();
    await h.flush();
    h.lastSocket().open();
    h.lastSocket().drop("too slow", 1013);
    expect(h.accessEnded).toEqual([]);
    expect(h.lastStatus()).toMatchObject({ state: "waiting", attempt: 1 });
  });
});

describe("parseLiveMessage", () => {
  it("reads the documented shape", () => {
    const event = parseLiveMessage(
      JSON.stringify({
        event: "signup",
        distinctId: "u1",
        sessionId: "s1",
        pageUrl: "https://a.example/x",
        timestamp: "2026-11-26T10:00:00Z",
        properties: { plan: "pro" },
      }),
    );
    expect(event).toMatchObject({
      event: "signup",
      distinctId: "u1",
      sessionId: "s1",
      pageUrl: "https://a.example/x",
      properties: { plan: "pro" },
    });
  });

  it("ignores anything else", () => {
    expect(parseLiveMessage("not json")).toBeNull();
    expect(parseLiveMessage(JSON.stringify([1, 2]))).toBeNull();
    expect(parseLiveMessage(JSON.stringify({ name: "x" }))).toBeNull();
    expect(parseLiveMessage(new ArrayBuffer(4))).toBeNull();
  });

  it("defaults missing optional fields instead of trusting their types", () => {
    const event = parseLiveMessage(JSON.stringify({ event: "x", distinctId: 5, properties: "nope" }));
    expect(event).toMatchObject({ distinctId: null, properties: {} });
  });
});
