import { describe, expect, it } from "bun:test";
import { INGEST_LIMITS } from "../../shared/ingest.ts";
import { decodeEventBatch, encodeBodyBatch, encodeEventBatch, type BatchContext } from "./event-batch.ts";
import { checkEnvelope, needsCleaning, validateEvents, type EventTuple } from "./validate-events.ts";

const context: BatchContext = {
  projectId: "0193a0c0-0000-7000-8000-000000000001",
  receivedAt: Date.parse("2026-03-14T12:00:00.000Z"),
  userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
  ipHash: "ab".repeat(32),
  browser: "Firefox",
  os: "Linux",
  device: "desktop",
};

function tuple(i: number, properties: object = { i, plan: "pro", "é€😀": "\\n\"quoted\"\u2028" }): EventTuple {
  return [
    `id-${i}`,
    i % 2 ? "page_view" : "signup",
    i % 3 ? `user-${i}` : null,
    `session-${i % 4}`,
    context.receivedAt - i,
    i % 5 ? `https://shop.example.com/p/${i}?utm_source=news&utm_medium=email&utm_campaign=c${i % 3}` : null,
    i % 2 ? "https://www.google.com/search?q=x" : null,
    properties,
  ];
}

describe("encodeEventBatch", () => {
  it("writes every event into one entry that decodes back to the same events", () => {
    for (const count of [1, 2, 17, 100]) {
      const tuples = Array.from({ length: count }, (_, i) => tuple(i));
      const encoded = encodeEventBatch(context, tuples);
      expect(encoded.count).toBe(count);
      expect(encoded.oversized).toEqual([]);
      const rows = decodeEventBatch(encoded.payload!);
      expect(rows.map((r) => r.insertId)).toEqual(tuples.map((t) => t[0]));
      expect(rows[0]!.properties).toEqual(tuples[0]![7] as Record<string, unknown>);
    }
  });

  it("leaves out an event over the per-event limit and keeps the others", () => {
    const big = { pad: "x".repeat(INGEST_LIMITS.maxEventBytes) };
    const encoded = encodeEventBatch(context, [tuple(0), tuple(1, big), tuple(2)]);
    expect(encoded.oversized).toEqual([1]);
    expect(encoded.count).toBe(2);
    expect(decodeEventBatch(encoded.payload!).map((r) => r.insertId)).toEqual(["id-0", "id-2"]);
    expect(encodeEventBatch(context, [tuple(1, big)])).toEqual({ payload: null, count: 0, oversized: [0] });
  });

  it("measures the limit in UTF-8 bytes", () => {
    // 3-byte characters: under the limit in UTF-16 units, over it in bytes.
    const wide = { pad: "€".repeat(Math.ceil(INGEST_LIMITS.maxEventBytes / 3)) };
    expect(encodeEventBatch(context, [tuple(0), tuple(1, wide)]).oversized).toEqual([1]);
  });
});

describe("entries holding the body as sent (v2)", () => {
  const NOW = context.receivedAt;
  const events = [
    { event: "page_view", session_id: "s1", distinct_id: "u1", page_url: "https://shop.example.com/a?utm_source=news", referrer: "https://www.google.com/", timestamp: new Date(NOW - 5_000).toISOString(), properties: { plan: "pro", n: [1, { deep: true }] } },
    { event: "" },
    { event: "signup", insert_id: "client-id-7", timestamp: new Date(NOW + 10 * 86_400_000).toISOString() },
    { event: "click", properties: { label: "Buy \u00e9\u20ac" } },
  ];

  function bothWays(body: Record<string, unknown>, apiKey: string | null = null) {
    const text = JSON.stringify(body);
    const idBase = Bun.randomUUIDv7();
    const envelope = checkEnvelope(JSON.parse(text));
    if (typeof envelope === "string") throw new Error(envelope);
    const clean = needsCleaning(text);
    const validated = validateEvents(envelope.events, { now: NOW, sentAt: envelope.sentAt, clean, idBase });
    const asSent = encodeBodyBatch(context, { text, bytes: Buffer.byteLength(text), clean, apiKey, idBase }, validated.rejected, validated.accepted.length);
    const tuples = encodeEventBatch(context, validated.accepted);
    return { asSent, tuples, validated };
  }

  it("decodes to exactly the rows of the tuple entry, rejected events left out and ids derived alike", () => {
    const { asSent, tuples, validated } = bothWays({ sent_at: new Date(NOW - 600_000).toISOString(), events });
    expect(validated.rejected.map((r) => r.index)).toEqual([1]);
    expect(asSent!.count).toBe(3);
    expect(JSON.parse(asSent!.payload!).v).toBe(2);
    const rows = decodeEventBatch(asSent!.payload!);
    expect(rows).toEqual(decodeEventBatch(tuples.payload!));
    expect(rows.map((r) => r.eventName)).toEqual(["page_view", "signup", "click"]);
    // Generated ids are UUIDv7s, distinct, and the client's own id is kept.
    expect(rows[0]!.insertId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rows[1]!.insertId).toBe("client-id-7");
    expect(new Set(rows.map((r) => r.insertId)).size).toBe(3);
    // Clock skew (sent_at ten minutes early) is corrected on the worker's side too; the future timestamp is clamped.
    expect(rows[0]!.timestamp.getTime()).toBe(NOW - 5_000 + 600_000);
    expect(rows[1]!.timestamp.getTime()).toBe(NOW);
    expect(rows[0]!.path).toBe("/a");
    expect(rows[0]!.utmSource).toBe("news");
    expect(rows[0]!.referrerHost).toBe("www.google.com");
  });

  it("cleans NUL and lone surrogates on the worker's side as ingest did", () => {
    const text = '{"events":[{"event":"a\\u0000b","properties":{"k\\ud800":"v\\u0000"}}]}';
    const idBase = Bun.randomUUIDv7();
    const envelope = checkEnvelope(JSON.parse(text)) as { events: unknown[] };
    const validated = validateEvents(envelope.events, { now: NOW, sentAt: null, clean: true, idBase });
    const asSent = encodeBodyBatch(context, { text, bytes: text.length, clean: true, apiKey: null, idBase }, validated.rejected, 1);
    const [row] = decodeEventBatch(asSent!.payload!);
    expect(row!.eventName).toBe("ab");
    expect(row!.properties).toEqual({ "k\uFFFD": "v" });
  });

  it("never carries the API key: cut out of the text, or the tuple form when it cannot be", () => {
    const key = "proj_secret_key_123";
    const { asSent } = bothWays({ api_key: key, events: events.slice(0, 1) }, key);
    expect(asSent!.payload).not.toContain(key);
    expect(JSON.parse(asSent!.payload!).q.api_key).toBeNull();
    // Written with a space, the key is not found as a serialiser writes it: the body does not travel as sent.
    const spaced = `{"api_key": "${key}", "events": [{"event": "a"}]}`;
    const envelope = checkEnvelope(JSON.parse(spaced)) as { events: unknown[] };
    const validated = validateEvents(envelope.events, { now: NOW, sentAt: null, clean: false });
    expect(encodeBodyBatch(context, { text: spaced, bytes: spaced.length, clean: false, apiKey: key, idBase: Bun.randomUUIDv7() }, validated.rejected, 1)).toBeNull();
  });

  it("leaves bodies over the per-event limit to the tuple form, which measures each event", () => {
    const text = JSON.stringify({ events: [{ event: "a", properties: { pad: "x".repeat(INGEST_LIMITS.maxEventBytes) } }] });
    expect(encodeBodyBatch(context, { text, bytes: text.length, clean: false, apiKey: null, idBase: Bun.randomUUIDv7() }, [], 1)).toBeNull();
  });

  it("fails an entry whose body the worker would not accept as ingest did, naming the event", () => {
    const payload = JSON.stringify({ v: 2, p: context.projectId, r: NOW, u: null, i: null, b: null, o: null, d: null, g: Bun.randomUUIDv7(), c: 0, x: [], q: { events: [{ event: "ok" }, { event: 5 }] } });
    expect(() => decodeEventBatch(payload)).toThrow("event 1 that ingest accepted: event: must be a string");
    const skipped = JSON.parse(payload);
    skipped.x = [1];
    expect(decodeEventBatch(JSON.stringify(skipped)).map((r) => r.eventName)).toEqual(["ok"]);
  });
});
