import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { connect } from "node:net";
import { eq } from "drizzle-orm";
import { Redis } from "ioredis";
import { INGEST_LIMITS } from "../../../shared/ingest.ts";
import { announceApiKeyChange, generateApiKey, hashApiKey } from "../../auth/api-keys.ts";
import { projects } from "../../db/schema/index.ts";
import { decodeEventBatch } from "../../pipeline/entry/event-batch.ts";
import { INGEST_STREAM } from "../../pipeline/stream/event-stream.ts";
import { createTestProject, makeEvents, type TestProject } from "../../test-support/ingest-fixtures.ts";
import { createTestServices, startTestServer, type TestServices } from "../../test-support/services.ts";
import { type App, createApp } from "../app.ts";

const PATH = "/api/v1/events/ingest";

let t: TestServices;
let app: App;
let project: TestProject;
let siteProject: TestProject;

beforeAll(async () => {
  t = await createTestServices();
  app = createApp(t.services);
  project = await createTestProject(t.services.db);
  siteProject = await createTestProject(t.services.db, { domain: "shop.example.com" });
});
afterAll(async () => {
  await t.cleanup();
});

function post(body: BodyInit | null, headers: Record<string, string> = {}, key: string | null = project.apiKey) {
  return app.request(PATH, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "x-api-key": key } : {}), ...headers },
    body,
  });
}

const postEvents = (events: unknown[], headers: Record<string, string> = {}, key: string | null = project.apiKey) =>
  post(JSON.stringify({ events }), headers, key);

async function streamEntries(): Promise<number> {
  return (await t.services.stream.backlog()).length;
}

/** A body of exactly `size` bytes: events padded with a property, all under the per-event limit. */
function bodyOfSize(size: number): string {
  const skeleton = (pads: string[]) =>
    JSON.stringify({ events: pads.map((pad, i) => ({ event: "e", insert_id: `pad-${i}`, properties: { pad } })) });
  const count = Math.ceil(size / 19_000) + 1;
  const pads = Array.from({ length: count }, () => "");
  const overhead = skeleton(pads).length;
  let remaining = size - overhead;
  for (let i = 0; i < count; i++) {
    const take = Math.min(remaining, 19_000);
    pads[i] = "a".repeat(take);
    remaining -= take;
  }
  const body = skeleton(pads);
  if (body.length !== size) throw new Error(`built ${body.length} bytes instead of ${size}`);
  return body;
}

function chunked(text: string, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

describe("POST /api/v1/events/ingest", () => {
  it("answers 202 with the accepted count and puts the batch in the stream as one entry", async () => {
    const before = await streamEntries();
    const res = await postEvents(makeEvents(3));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 3, rejected: [] });
    expect(await streamEntries()).toBe(before + 1);
  });

  it("keeps the valid events of a partial batch and lists the others", async () => {
    const res = await postEvents([{ event: "ok" }, { event: "" }, { nope: true }, { event: "ok", timestamp: "noon" }]);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: Array<{ index: number; reason: string }> };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(body.rejected.every((r) => r.reason.length > 0)).toBe(true);
  });

  it("answers 400 all_events_rejected, keeping nothing, when every event is rejected", async () => {
    const before = await streamEntries();
    const res = await postEvents([{ event: "" }, { event: "ok", timestamp: "2026-12-01" }, 42]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; message: string };
      accepted: number;
      rejected: Array<{ index: number; reason: string }>;
    };
    expect(body.error.code).toBe("all_events_rejected");
    expect(body.error.message).toContain("All 3 events were rejected");
    expect(body.accepted).toBe(0);
    expect(body.rejected.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(body.rejected[1]!.reason).toContain("timestamp");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await streamEntries()).toBe(before);
  });

  it("answers 400 all_events_rejected when the only event is too large once stored", async () => {
    const res = await postEvents([{ event: "e", properties: { p: "a".repeat(INGEST_LIMITS.maxEventBytes) } }]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: "all_events_rejected", message: expect.stringContaining("bytes") },
      accepted: 0,
      rejected: [{ index: 0, reason: expect.stringContaining("bytes") }],
    });
  });

  it("still answers 202 and stores the valid events when only some are rejected", async () => {
    const before = await streamEntries();
    const res = await postEvents([{ event: "" }, ...makeEvents(2), { event: "ok", timestamp: "noon" }]);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      accepted: 2,
      rejected: [
        { index: 0, reason: expect.any(String) },
        { index: 3, reason: expect.stringContaining("timestamp") },
      ],
    });
    expect(await streamEntries()).toBe(before + 1);
  });

  it("accepts timestamps and sent_at without an offset (Python's utcnow().isoformat()) as UTC", async () => {
    const utc = (ms: number) => new Date(ms).toISOString().slice(0, -1);
    const now = Date.now();
    const res = await post(
      JSON.stringify({
        sent_at: `${utc(now)}123`,
        events: [
          { event: "backend", insert_id: `py-${now}-1`, timestamp: utc(now - 60_000).slice(0, 19) },
          { event: "backend", insert_id: `py-${now}-2`, timestamp: `${utc(now - 30_000)}456` },
        ],
      }),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, rejected: [] });
  });

  it("accepts a text/plain body carrying the key as api_key (sendBeacon)", async () => {
    const res = await post(
      JSON.stringify({ api_key: project.apiKey, events: makeEvents(1) }),
      { "content-type": "text/plain;charset=UTF-8" },
      null,
    );
    expect(res.status).toBe(202);
  });

  it("never writes an API key sent in the body to the stream, however it is written", async () => {
    const redis = new Redis(t.config.REDIS_URL!);
    try {
      const key = project.apiKey;
      const escapedValue = `"proj\\u005f${key.slice(5)}"`;
      const events = JSON.stringify(makeEvents(2));
      for (const [body, headerKey] of [
        [JSON.stringify({ api_key: key, events: makeEvents(2) }), null],
        [`{ "api_key" : ${JSON.stringify(key)}, "events": ${events} }`, null],
        [`{"api_key":${escapedValue},"events":${events}}`, null],
        [`{"\\u0061pi_key":${JSON.stringify(key)},"events":${events}}`, null],
        [`{"api\\u005fkey":${escapedValue},"events":${events},"api_key":${JSON.stringify(key)}}`, null],
        [
          `{"events":[{"event":"page_view","properties":{"api_key":${escapedValue},"url":"https://x.example/?k=${key}"}}]}`,
          key,
        ],
      ] as Array<[string, string | null]>) {
        const res = await post(body, { "content-type": "text/plain;charset=UTF-8" }, headerKey);
        expect(res.status).toBe(202);
        const [latest] = (await redis.xrevrange(t.redisPrefix + INGEST_STREAM, "+", "-", "COUNT", 1)) as Array<
          [string, string[]]
        >;
        const fields = latest![1];
        expect(fields.join(" ")).toContain("page_view");
        expect(fields.join(" ")).not.toContain(key);
        // Decoded, no string of the entry holds it either (an escaped spelling would show here).
        const decoded = fields.map((field) => (field.startsWith("{") ? JSON.stringify(JSON.parse(field)) : field));
        expect(decoded.join(" ")).not.toContain(key);
      }
    } finally {
      redis.disconnect();
    }
  });

  it("counts events without a distinct_id under the request's daily visitor id, and names it in identify events", async () => {
    const redis = new Redis(t.config.REDIS_URL!);
    const latestRows = async () => {
      const [latest] = (await redis.xrevrange(t.redisPrefix + INGEST_STREAM, "+", "-", "COUNT", 1)) as Array<
        [string, string[]]
      >;
      return decodeEventBatch(latest![1].find((field) => field.startsWith("{"))!);
    };
    try {
      const agent = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" };
      const events = [
        { event: "page_view", insert_id: "v-1" },
        { event: "page_view", insert_id: "v-2", distinct_id: "local-anon-1" },
        { event: "$identify", insert_id: "v-3", distinct_id: "user-42" },
        { event: "$identify", insert_id: "v-4", distinct_id: "user-43", properties: { $anon_distinct_id: "a-9" } },
      ];
      expect((await postEvents(events, agent)).status).toBe(202);
      const rows = await latestRows();
      const visitor = rows.find((row) => row.insertId === "v-1")!.distinctId!;
      expect(visitor).toMatch(/^anon:[A-Za-z0-9_-]{22}$/);
      expect(rows.find((row) => row.insertId === "v-2")!.distinctId).toBe("local-anon-1");
      expect(rows.find((row) => row.insertId === "v-3")!.properties).toEqual({ $anon_distinct_id: visitor });
      expect(rows.find((row) => row.insertId === "v-4")!.properties).toEqual({ $anon_distinct_id: "a-9" });
      // The same browser again: the same visitor; another browser: another.
      expect((await postEvents([{ event: "e", insert_id: "v-5" }], agent)).status).toBe(202);
      expect((await latestRows())[0]!.distinctId).toBe(visitor);
      expect((await postEvents([{ event: "e", insert_id: "v-6" }], { "user-agent": "curl/8.5" })).status).toBe(202);
      const other = (await latestRows())[0]!.distinctId!;
      expect(other).toMatch(/^anon:/);
      expect(other).not.toBe(visitor);
      // No IP (nor its hash) is part of the id's text.
      expect(visitor).not.toContain("127.0.0.1");
    } finally {
      redis.disconnect();
    }
  });

  it("refuses other content types with 415", async () => {
    expect((await post("events=1", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect((await post(JSON.stringify({ events: makeEvents(1) }), { "content-type": "" })).status).toBe(415);
  });

  it("answers 400 for malformed JSON and for bodies that are not { events: [...] }", async () => {
    for (const body of ["{", "", "[]", '{"events":{}}', '{"events":[]}', '"x"', '{"events":[{}],"sent_at":"noon"}']) {
      const res = await post(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeString();
    }
  });

  it("accepts a body of exactly 1 MiB and refuses one byte more with 413", async () => {
    expect((await post(bodyOfSize(INGEST_LIMITS.maxBodyBytes))).status).toBe(202);
    const res = await post(bodyOfSize(INGEST_LIMITS.maxBodyBytes + 1));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });

  it("counts a chunked body while reading it: 1 MiB passes, more is 413", async () => {
    const exact = await post(chunked(bodyOfSize(INGEST_LIMITS.maxBodyBytes)));
    expect(exact.status).toBe(202);
    const over = await post(chunked(bodyOfSize(INGEST_LIMITS.maxBodyBytes + 1)));
    expect(over.status).toBe(413);
  });

  it("refuses a chunked stream that never ends once it passes the limit", async () => {
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(32));
      },
    });
    const res = await post(endless);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(INGEST_LIMITS.maxBodyBytes + 512 * 1024);
  });

  it("accepts 100 events and refuses 101 with 413", async () => {
    expect((await postEvents(makeEvents(INGEST_LIMITS.maxEvents))).status).toBe(202);
    const res = await postEvents(makeEvents(INGEST_LIMITS.maxEvents + 1));
    expect(res.status).toBe(413);
  });

  it("keeps an event of exactly 32 KiB as stored and rejects one byte more", async () => {
    const timestamp = new Date().toISOString();
    const stored = (pad: string) =>
      JSON.stringify([
        "id",
        "e",
        null,
        null,
        Date.parse(timestamp),
        null,
        null,
        { p: pad },
        null,
        null,
        null,
        null,
        null,
        null,
      ]);
    const padFor = (size: number) => "a".repeat(size - stored("").length);
    const res = await postEvents([
      { event: "e", insert_id: "id", timestamp, properties: { p: padFor(INGEST_LIMITS.maxEventBytes) } },
      { event: "e", insert_id: "id", timestamp, properties: { p: padFor(INGEST_LIMITS.maxEventBytes + 1) } },
    ]);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      accepted: 1,
      rejected: [{ index: 1, reason: expect.stringContaining("bytes") }],
    });
  });

  it("answers 401 without a key and for an unknown key", async () => {
    expect((await postEvents(makeEvents(1), {}, null)).status).toBe(401);
    expect((await postEvents(makeEvents(1), {}, generateApiKey().apiKey)).status).toBe(401);
  });

  it("refuses browser requests from another site when the project has a domain, and only those", async () => {
    const send = (origin?: string) => postEvents(makeEvents(1), origin ? { origin } : {}, siteProject.apiKey);
    expect((await send("https://evil.example.net")).status).toBe(403);
    expect((await send("null")).status).toBe(403);
    expect((await send("https://shop.example.com")).status).toBe(202);
    expect((await send("https://www.shop.example.com")).status).toBe(202);
    expect((await send()).status).toBe(202);
    // A project without a domain takes any origin.
    expect((await postEvents(makeEvents(1), { origin: "https://anywhere.example.org" })).status).toBe(202);
  });

  it("answers CORS preflights for any origin, without credentials, and puts CORS headers on errors too", async () => {
    const preflight = await app.request(PATH, {
      method: "OPTIONS",
      headers: {
        origin: "https://site.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-api-key",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("X-API-Key");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    const refused = await postEvents(makeEvents(1), { origin: "https://site.example" }, null);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("never answers 5xx to bad bytes, NUL, lone surrogates, __proto__ or 100,000-deep JSON", async () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const bodies: Array<string | Uint8Array> = [
      new Uint8Array([0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x3a, 0x5b, 0x5d, 0x7d]),
      new Uint8Array([
        ...new TextEncoder().encode('{"events":[{"event":"bad '),
        0xc3,
        0x28,
        ...new TextEncoder().encode('"}]}'),
      ]),
      String.raw`{"events":[{"event":"nul\u0000","properties":{"k\u0000":"v\u0000"}}]}`,
      String.raw`{"events":[{"event":"half \ud83d","distinct_id":"\udc00","properties":{"x":"\ud800\ud800"}}]}`,
      '{"__proto__":{"events":[1]},"events":[{"event":"p","properties":{"__proto__":{"admin":true}}}]}',
      `{"events":${deep(100_000)}}`,
      `{"events":[{"event":"deep","properties":{"x":${deep(100_000)}}}]}`,
      `{"events":[{"event":"junk","extra":${deep(100_000)}}]}`,
      `{"events":[{"event":"a"}],"junk":${deep(100_000)}}`,
      `{"events":[${deep(100_000)}]}`,
      "\u0000",
    ];
    for (const body of bodies) {
      const res = await post(body as BodyInit);
      expect(res.status).toBeLessThan(500);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it("stops accepting a rotated key within 5 seconds", async () => {
    const rotating = await createTestProject(t.services.db);
    expect((await postEvents(makeEvents(1), {}, rotating.apiKey)).status).toBe(202);
    const next = generateApiKey();
    // Rotation without any announcement: the cache's own expiry must be enough.
    await t.services.db
      .update(projects)
      .set({ apiKeyHash: next.apiKeyHash, apiKeyPrefix: next.apiKeyPrefix })
      .where(eq(projects.id, rotating.projectId));
    const rotatedAt = Date.now();
    let status = 202;
    while (status === 202 && Date.now() - rotatedAt < 6_000) {
      status = (await postEvents(makeEvents(1), {}, rotating.apiKey)).status;
      if (status === 202) await Bun.sleep(100);
    }
    expect(status).toBe(401);
    expect(Date.now() - rotatedAt).toBeLessThan(5_000);
    expect((await postEvents(makeEvents(1), {}, next.apiKey)).status).toBe(202);
  });
});

describe("API key changes", () => {
  it("drop a rotated key at once when the rotation is announced", async () => {
    const rotating = await createTestProject(t.services.db);
    expect((await postEvents(makeEvents(1), {}, rotating.apiKey)).status).toBe(202);
    const next = generateApiKey();
    await t.services.db
      .update(projects)
      .set({ apiKeyHash: next.apiKeyHash, apiKeyPrefix: next.apiKeyPrefix })
      .where(eq(projects.id, rotating.projectId));
    await announceApiKeyChange(t.services, {
      projectId: rotating.projectId,
      oldApiKeyHash: hashApiKey(rotating.apiKey),
      reason: "rotated",
    });
    const announcedAt = Date.now();
    let status = 202;
    while (status === 202 && Date.now() - announcedAt < 3_000) {
      status = (await postEvents(makeEvents(1), {}, rotating.apiKey)).status;
      if (status === 202) await Bun.sleep(20);
    }
    expect(status).toBe(401);
    expect(Date.now() - announcedAt).toBeLessThan(1_000);
  });
});

describe("POST /api/v1/events/ingest over a real socket (the native route)", () => {
  it("answers like the app route, with its security and CORS headers", async () => {
    const server = startTestServer(t.services);
    try {
      const url = `${server.url}${PATH}`;
      const ok = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": project.apiKey },
        body: JSON.stringify({ events: makeEvents(2) }),
      });
      expect(ok.status).toBe(202);
      expect(await ok.json()).toEqual({ accepted: 2, rejected: [] });
      expect(ok.headers.get("x-content-type-options")).toBe("nosniff");
      expect(ok.headers.get("access-control-allow-origin")).toBe("*");
      const viaApp = await postEvents(makeEvents(1));
      for (const name of ["content-security-policy", "x-frame-options", "referrer-policy", "x-content-type-options"])
        expect({ name, value: viaApp.headers.get(name) }).toEqual({ name, value: ok.headers.get(name) });
      const preflight = await fetch(url, {
        method: "OPTIONS",
        headers: { origin: "https://site.example", "access-control-request-method": "POST" },
      });
      expect(preflight.status).toBe(204);
      const over = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": project.apiKey },
        body: chunked(bodyOfSize(INGEST_LIMITS.maxBodyBytes + 1)),
      });
      expect(over.status).toBe(413);
      const missing = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
      expect(missing.status).toBe(400);
    } finally {
      await server.stop();
    }
  });

  it("answers 413 to an oversized body and keeps the connection usable for the next request", async () => {
    const server = startTestServer(t.services);
    const socket = connect(server.port, "127.0.0.1");
    try {
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString()));
      await new Promise((resolve) => socket.once("connect", resolve));
      const request = (body: string) =>
        `POST ${PATH} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nX-API-Key: ${project.apiKey}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      socket.write(request("x".repeat(INGEST_LIMITS.maxBodyBytes + 1)));
      // Like any HTTP/1.1 client, send the next request once the answer to this one arrived.
      let deadline = Date.now() + 5_000;
      while (!received.includes("payload_too_large") && Date.now() < deadline) await Bun.sleep(20);
      socket.write(request(JSON.stringify({ events: makeEvents(1) })));
      deadline = Date.now() + 5_000;
      while (!received.includes('"accepted":1') && Date.now() < deadline) await Bun.sleep(20);
      const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => match[1]);
      expect(statuses).toEqual(["413", "202"]);
    } finally {
      socket.destroy();
      await server.stop();
    }
  });
});

describe("ingest limits that need their own configuration", () => {
  it("answers 429 with Retry-After past the per-project limit", async () => {
    const limited = await createTestServices({ INGEST_RATE_LIMIT_PER_MINUTE: "150" });
    try {
      const limitedApp = createApp(limited.services);
      const p = await createTestProject(limited.services.db);
      const send = (n: number) =>
        limitedApp.request(PATH, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": p.apiKey },
          body: JSON.stringify({ events: makeEvents(n) }),
        });
      expect((await send(100)).status).toBe(202);
      expect((await send(50)).status).toBe(202);
      const res = await send(1);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.cleanup();
    }
  });

  it("sheds load with 503 and Retry-After when the stream backlog passes its bound", async () => {
    const bounded = await createTestServices({ STREAM_MAX_BACKLOG: "1000" });
    const redis = new Redis(bounded.config.REDIS_URL!);
    try {
      const boundedApp = createApp(bounded.services);
      const p = await createTestProject(bounded.services.db);
      const pipeline = redis.pipeline();
      for (let i = 0; i < 1_001; i++) pipeline.xadd(bounded.redisPrefix + INGEST_STREAM, "*", "d", "{}");
      await pipeline.exec();
      let res: Response | null = null;
      const deadline = Date.now() + 3_000;
      while (Date.now() < deadline) {
        res = await boundedApp.request(PATH, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": p.apiKey },
          body: JSON.stringify({ events: makeEvents(1) }),
        });
        if (res.status === 503) break;
        await Bun.sleep(100);
      }
      expect(res?.status).toBe(503);
      expect(res?.headers.get("retry-after")).toBeTruthy();
    } finally {
      redis.disconnect();
      await bounded.cleanup();
    }
  });
});
