import { describe, expect, it } from "bun:test";
import { INGEST_LIMITS } from "../../../shared/ingest.ts";
import { checkEnvelope, type EventTuple, needsCleaning, validateEvents } from "../../http/ingest/validate-events.ts";
import { type BatchContext, decodeEventBatch, encodeBodyBatch, encodeEventBatch } from "./event-batch.ts";

const context: BatchContext = {
  projectId: "0193a0c0-0000-7000-8000-000000000001",
  receivedAt: Date.parse("2026-03-14T12:00:00.000Z"),
  userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
  ipHash: "ab".repeat(32),
  browser: "Firefox",
  os: "Linux",
  device: "desktop",
  country: "DE",
};

function tuple(i: number, properties: object = { i, plan: "pro", "é€😀": '\\n"quoted"\u2028' }): EventTuple {
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
    {
      event: "page_view",
      session_id: "s1",
      distinct_id: "u1",
      page_url: "https://shop.example.com/a?utm_source=news",
      referrer: "https://www.google.com/",
      timestamp: new Date(NOW - 5_000).toISOString(),
      properties: { plan: "pro", n: [1, { deep: true }] },
    },
    { event: "" },
    { event: "signup", insert_id: "client-id-7", timestamp: new Date(NOW + 10 * 86_400_000).toISOString() },
    { event: "click", properties: { label: "Buy \u00e9\u20ac" } },
  ];

  function bothWays(body: Record<string, unknown>, apiKey: string | null = null) {
    const text = JSON.stringify(body);
    const idBase = Bun.randomUUIDv7();
    const value = JSON.parse(text);
    const envelope = checkEnvelope(value);
    if (typeof envelope === "string") throw new Error(envelope);
    const clean = needsCleaning(text);
    const validated = validateEvents(envelope.events, { now: NOW, sentAt: envelope.sentAt, clean, idBase });
    const asSent = encodeBodyBatch(
      context,
      { text, bytes: Buffer.byteLength(text), clean, value, apiKey, idBase },
      validated.rejected,
      validated.accepted.length,
    );
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
    const asSent = encodeBodyBatch(
      context,
      { text, bytes: text.length, clean: true, value: JSON.parse(text), apiKey: null, idBase },
      validated.rejected,
      1,
    );
    const [row] = decodeEventBatch(asSent!.payload!);
    expect(row!.eventName).toBe("ab");
    expect(row!.properties).toEqual({ "k\uFFFD": "v" });
  });

  it("leaves bodies over the per-event limit to the tuple form, which measures each event", () => {
    const text = JSON.stringify({
      events: [{ event: "a", properties: { pad: "x".repeat(INGEST_LIMITS.maxEventBytes) } }],
    });
    expect(
      encodeBodyBatch(
        context,
        { text, bytes: text.length, clean: false, value: JSON.parse(text), apiKey: null, idBase: Bun.randomUUIDv7() },
        [],
        1,
      ),
    ).toBeNull();
  });

  it("fails an entry whose body the worker would not accept as ingest did, naming the event", () => {
    const payload = JSON.stringify({
      v: 2,
      p: context.projectId,
      r: NOW,
      u: null,
      i: null,
      b: null,
      o: null,
      d: null,
      g: Bun.randomUUIDv7(),
      c: 0,
      x: [],
      q: { events: [{ event: "ok" }, { event: 5 }] },
    });
    expect(() => decodeEventBatch(payload)).toThrow("event 1 that ingest accepted: event: must be a string");
    const skipped = JSON.parse(payload);
    skipped.x = [1];
    expect(decodeEventBatch(JSON.stringify(skipped)).map((r) => r.eventName)).toEqual(["ok"]);
  });
});

describe("the API key in stream entries (cut-api-key.ts)", () => {
  const NOW = context.receivedAt;
  const KEY = "proj_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
  const OTHER_KEY = "proj_someOtherProjectsKey0000000000000000000000";
  /** `\uXXXX` for every character of a string: the spelling a plain search misses. */
  const u = (text: string) => [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
  const KEY_VALUE_ESCAPED = `"proj\\u005f${KEY.slice(5)}"`;
  const ev = (properties: object = { plan: "pro" }) =>
    JSON.stringify([
      { event: "page_view", insert_id: "e-1", properties },
      { event: "signup", insert_id: "e-2" },
    ]);

  /** Ingest's steps from the parsed body to the entry, as the handler runs them. */
  function entryFor(text: string, apiKey: string | null) {
    const value = JSON.parse(text);
    const envelope = checkEnvelope(value);
    if (typeof envelope === "string") throw new Error(envelope);
    const clean = needsCleaning(text);
    const idBase = Bun.randomUUIDv7();
    const validated = validateEvents(envelope.events, { now: NOW, sentAt: envelope.sentAt, clean, idBase });
    const encoded =
      encodeBodyBatch(
        context,
        { text, bytes: Buffer.byteLength(text), clean, value, apiKey, idBase },
        validated.rejected,
        validated.accepted.length,
      ) ?? encodeEventBatch(context, validated.accepted, apiKey);
    return encoded.payload!;
  }

  /** Every string and member name of a parsed entry: where any spelling of the key would show once decoded. */
  function decodedStrings(payload: string): string[] {
    const out: string[] = [];
    const stack: unknown[] = [JSON.parse(payload)];
    while (stack.length) {
      const value = stack.pop();
      if (typeof value === "string") out.push(value);
      else if (typeof value === "object" && value !== null) {
        for (const [name, item] of Object.entries(value)) {
          out.push(name);
          stack.push(item);
        }
      }
    }
    return out;
  }

  function expectNoKey(payload: string, ...keys: string[]) {
    for (const key of keys) {
      expect(payload).not.toContain(key);
      expect(decodedStrings(payload).filter((s) => s.includes(key))).toEqual([]);
    }
  }

  const topLevelSpellings: Array<[string, string]> = [
    ["as the SDK writes it", `{"api_key":${JSON.stringify(KEY)},"sent_at":null,"events":${ev()}}`],
    ["with an escaped value (proj\\u005f…)", `{"api_key":${KEY_VALUE_ESCAPED},"events":${ev()}}`],
    ["with an escaped name (\\u0061pi_key)", `{"\\u0061pi_key":${JSON.stringify(KEY)},"events":${ev()}}`],
    [
      "escaped in name and value (api\\u005fkey, \\u0070roj…)",
      `{"api\\u005fkey":"\\u0070${KEY.slice(1)}","events":${ev()}}`,
    ],
    ["fully escaped", `{"${u("api_key")}":"${u(KEY)}","events":${ev()}}`],
    ["with whitespace around the colon", `{ "api_key"\n :\t${JSON.stringify(KEY)} , "events" : ${ev()} }`],
    ["last, after the events", `{"events":${ev()},"api_key":${JSON.stringify(KEY)}}`],
    [
      "twice, the first one another key",
      `{"api_key":${JSON.stringify(OTHER_KEY)},"events":${ev()},"api_key":${JSON.stringify(KEY)}}`,
    ],
    [
      "twice, the second one escaped",
      `{"api_key":${JSON.stringify(KEY)},"events":${ev()},"api\\u005fkey":${KEY_VALUE_ESCAPED}}`,
    ],
    [
      "beside an escaped quote in the data",
      `{"api_key":${JSON.stringify(KEY)},"events":${ev({ title: 'say "hi"\n' })}}`,
    ],
  ];

  for (const [spelling, text] of topLevelSpellings) {
    it(`cuts the body's api_key ${spelling}, and the events still arrive`, () => {
      expect(JSON.parse(text).api_key).toBe(KEY);
      const payload = entryFor(text, KEY);
      expectNoKey(payload, KEY, OTHER_KEY);
      expect(decodeEventBatch(payload).map((r) => r.insertId)).toEqual(["e-1", "e-2"]);
    });
  }

  it("cuts the body's api_key whatever it holds, even when the header carried the request's key", () => {
    const text = `{"api_key":"not a key \\"quoted\\"","events":${ev()}}`;
    const payload = entryFor(text, KEY);
    expect(decodedStrings(payload).filter((s) => s.includes("not a key"))).toEqual([]);
    expect(JSON.parse(payload).q.api_key).toBeNull();
  });

  it("travels as sent, the key's value nulled in place, for the SDK's body", () => {
    const text = `{"api_key":${JSON.stringify(KEY)},"events":${ev()}}`;
    const entry = JSON.parse(entryFor(text, KEY));
    expect(entry.v).toBe(2);
    expect(entry.q).toEqual({ ...JSON.parse(text), api_key: null });
  });

  it("keeps an own __proto__ member when the body is re-serialised", () => {
    const text = `{"api\\u005fkey":${JSON.stringify(KEY)},"__proto__":{"polluted":true},"events":${ev()}}`;
    const payload = entryFor(text, KEY);
    expectNoKey(payload, KEY);
    expect(payload).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  const elsewhere: Array<[string, string]> = [
    ["a property named api_key", `{"api_key":${JSON.stringify(KEY)}}`],
    ["a property named api_key, both escaped", `{"api\\u005fkey":"\\u0070${KEY.slice(1)}"}`],
    ["a property's value, escaped", `{"note":"my key is proj\\u005f${KEY.slice(5)}, see"}`],
    ["a URL's query", `{"url":"https://x.example/?k=${KEY}"}`],
  ];
  for (const [where, properties] of elsewhere) {
    it(`replaces the request's key in ${where}, whichever way the key was sent`, () => {
      const events = `[{"event":"page_view","insert_id":"e-1","properties":${properties}}]`;
      for (const text of [`{"events":${events}}`, `{"api_key":${JSON.stringify(KEY)},"events":${events}}`]) {
        expect(JSON.stringify(JSON.parse(text).events)).toContain(KEY);
        const payload = entryFor(text, KEY);
        expectNoKey(payload, KEY);
        const [row] = decodeEventBatch(payload);
        expect(JSON.stringify(row!.properties)).toContain("[redacted]");
      }
    });
  }

  it("leaves a nested api_key holding something else alone: it is the user's data", () => {
    const text = `{"api_key":${JSON.stringify(KEY)},"events":[{"event":"a","properties":{"api_key":"their own value"}}]}`;
    const [row] = decodeEventBatch(entryFor(text, KEY));
    expect(row!.properties).toEqual({ api_key: "their own value" });
  });

  it("replaces the key in bodies over 32 KiB, which travel as validated events", () => {
    const pad = "x".repeat(INGEST_LIMITS.maxEventBytes - 100);
    const text = `{"api_key":${KEY_VALUE_ESCAPED},"events":[{"event":"a","properties":{"pad":"${pad}"}},{"event":"b","properties":{"k":"\\u0070${KEY.slice(1)}"}}]}`;
    const payload = entryFor(text, KEY);
    expect(JSON.parse(payload).v).toBe(1);
    expectNoKey(payload, KEY);
    expect(decodeEventBatch(payload).find((r) => r.eventName === "b")!.properties).toEqual({ k: "[redacted]" });
  });

  it("replaces the key in the user agent", () => {
    const text = `{"api_key":${JSON.stringify(KEY)},"events":${ev()}}`;
    const value = JSON.parse(text);
    const envelope = checkEnvelope(value) as { events: unknown[] };
    const validated = validateEvents(envelope.events, { now: NOW, sentAt: null, clean: false });
    const encoded = encodeBodyBatch(
      { ...context, userAgent: `curl ${KEY}` },
      { text, bytes: text.length, clean: false, value, apiKey: KEY, idBase: Bun.randomUUIDv7() },
      [],
      validated.accepted.length,
    );
    expectNoKey(encoded!.payload!, KEY);
  });
});
