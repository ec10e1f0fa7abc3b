import { describe, expect, it } from "bun:test";
import { INGEST_LIMITS, ingestEnvelopeSchema, ingestEventSchema } from "../../../shared/ingest.ts";
import {
  checkEnvelope,
  cleanString,
  insertIdFor,
  insertIdPrefix,
  needsCleaning,
  parseIsoTimestamp,
  validateEvents,
} from "./validate-events.ts";

const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const validate = (events: unknown[], options: { sentAt?: string | null; clean?: boolean } = {}) =>
  validateEvents(events, { now: NOW, sentAt: options.sentAt ?? null, clean: options.clean ?? false });

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { child: value };
  return value;
}

describe("validateEvents", () => {
  it("agrees with the zod event schema on every field rule", () => {
    const long = (n: number) => "x".repeat(n);
    const cases: unknown[] = [
      { event: "a" },
      { event: "" },
      { event: long(INGEST_LIMITS.maxEventNameLength) },
      { event: long(INGEST_LIMITS.maxEventNameLength + 1) },
      { event: 5 },
      { event: "a", distinct_id: long(200) },
      { event: "a", distinct_id: long(201) },
      { event: "a", distinct_id: null },
      { event: "a", session_id: 7 },
      { event: "a", page_url: long(4096) },
      { event: "a", page_url: long(4097) },
      { event: "a", referrer: long(4097) },
      { event: "a", insert_id: "" },
      { event: "a", insert_id: long(128) },
      { event: "a", insert_id: long(129) },
      { event: "a", timestamp: "2026-06-01T11:00:00Z" },
      { event: "a", timestamp: "2026-06-01T11:00:00.123+02:00" },
      { event: "a", timestamp: "2026-06-01 11:00:00" },
      { event: "a", timestamp: "2026-06-01T11:00:00" },
      { event: "a", timestamp: "2026-06-01T11:00:00.123456" },
      { event: "a", timestamp: "2026-06-01T11:00:00.5Z" },
      { event: "a", timestamp: "2026-06-01T11:00:00.987654-03:30" },
      { event: "a", timestamp: "2026-06-01T11:00:00." },
      { event: "a", timestamp: "2026-06-01T11:00" },
      { event: "a", timestamp: "2026-06-01T11:00Z" },
      { event: "a", timestamp: "2026-06-01" },
      { event: "a", timestamp: "2026-06-01T11:00:00+0200" },
      { event: "a", timestamp: "2026-06-01T11:00:00 " },
      { event: "a", timestamp: "2026-02-29T11:00:00" },
      { event: "a", timestamp: "2026-02-30T11:00:00Z" },
      { event: "a", timestamp: "yesterday" },
      { event: "a", timestamp: 1717243200000 },
      { event: "a", properties: { plan: "pro" } },
      { event: "a", properties: [] },
      { event: "a", properties: "x" },
      "not an object",
      null,
      [],
    ];
    for (const item of cases) {
      const ours = validate([item]).accepted.length === 1;
      const zods = ingestEventSchema.safeParse(item).success;
      expect({ item, accepted: ours }).toEqual({ item, accepted: zods });
    }
  });

  it("reads a timestamp without an offset as UTC, with or without a fraction", () => {
    const result = validate([
      { event: "a", timestamp: "2026-06-01T10:00:00" },
      { event: "a", timestamp: "2026-06-01T10:00:00.123456" },
      { event: "a", timestamp: "2026-06-01T12:00:00+02:00" },
      { event: "a", timestamp: "2026-06-01" },
    ]);
    expect(result.accepted.map((tuple) => tuple[4])).toEqual([
      Date.UTC(2026, 5, 1, 10),
      Date.UTC(2026, 5, 1, 10, 0, 0, 123),
      Date.UTC(2026, 5, 1, 10),
    ]);
    expect(result.rejected).toEqual([{ index: 3, reason: expect.stringContaining("without an offset it is UTC") }]);
  });

  it("reads sent_at without an offset as UTC when correcting the clock", () => {
    // The client's clock is 1 h behind and writes UTC without an offset, like datetime.utcnow().isoformat().
    const result = validate([{ event: "a", timestamp: "2026-06-01T10:59:00" }], {
      sentAt: "2026-06-01T11:00:00.000000",
    });
    expect(result.accepted[0]![4]).toBe(Date.parse("2026-06-01T11:59:00.000Z"));
  });

  it("keeps valid events and lists the others by index", () => {
    const result = validate([{ event: "ok" }, { event: "" }, { event: "ok too" }, 42]);
    expect(result.accepted.map((tuple) => tuple[1])).toEqual(["ok", "ok too"]);
    expect(result.acceptedIndexes).toEqual([0, 2]);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 3]);
    expect(result.rejected[0]!.reason).toContain("event");
  });

  it("makes a UUIDv7 insert_id when the client sent none and keeps the client's otherwise", () => {
    const [made, kept] = validate([{ event: "a" }, { event: "a", insert_id: "client-1" }]).accepted;
    expect(made![0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(kept![0]).toBe("client-1");
  });

  it("stamps events without a timestamp with the time of receipt", () => {
    expect(validate([{ event: "a" }]).accepted[0]![4]).toBe(NOW);
  });

  it("accepts exactly 255 property keys and refuses 256", () => {
    const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    const result = validate([
      { event: "a", properties: props(INGEST_LIMITS.maxPropertyKeys) },
      { event: "a", properties: props(INGEST_LIMITS.maxPropertyKeys + 1) },
    ]);
    expect(result.acceptedIndexes).toEqual([0]);
    expect(result.rejected[0]!.reason).toContain("keys");
  });

  it("accepts properties nested 10 levels and refuses 11", () => {
    const result = validate([
      { event: "a", properties: nested(INGEST_LIMITS.maxPropertyDepth) },
      { event: "a", properties: nested(INGEST_LIMITS.maxPropertyDepth + 1) },
    ]);
    expect(result.acceptedIndexes).toEqual([0]);
    expect(result.rejected[0]!.reason).toContain("nested");
  });

  it("refuses a 100,000-deep property without walking it all", () => {
    const text = `{"event":"a","properties":{"deep":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
    const result = validate([JSON.parse(text)]);
    expect(result.rejected).toHaveLength(1);
  });

  it("corrects a client clock that is off by more than 150 s using sent_at", () => {
    // The client's clock is 1 h behind: it says it sent at 11:00 what reached us at 12:00.
    const result = validate([{ event: "a", timestamp: "2026-06-01T10:59:00.000Z" }], {
      sentAt: "2026-06-01T11:00:00.000Z",
    });
    expect(result.accepted[0]![4]).toBe(Date.parse("2026-06-01T11:59:00.000Z"));
  });

  it("leaves timestamps alone when the clock skew is within 150 s", () => {
    const result = validate([{ event: "a", timestamp: "2026-06-01T11:00:00.000Z" }], {
      sentAt: "2026-06-01T11:58:00.000Z",
    });
    expect(result.accepted[0]![4]).toBe(Date.parse("2026-06-01T11:00:00.000Z"));
  });

  it("sets timestamps more than 23 h ahead to now and keeps those just under", () => {
    const ahead = (ms: number) => new Date(NOW + ms).toISOString();
    const result = validate([
      { event: "a", timestamp: ahead(INGEST_LIMITS.maxFutureMs + 1_000) },
      { event: "a", timestamp: ahead(INGEST_LIMITS.maxFutureMs - 1_000) },
    ]);
    expect(result.accepted[0]![4]).toBe(NOW);
    expect(result.accepted[1]![4]).toBe(NOW + INGEST_LIMITS.maxFutureMs - 1_000);
  });

  it("refuses timestamps older than 365 days and keeps those just younger", () => {
    const ago = (ms: number) => new Date(NOW - ms).toISOString();
    const result = validate([
      { event: "a", timestamp: ago(INGEST_LIMITS.maxPastMs + 1_000) },
      { event: "a", timestamp: ago(INGEST_LIMITS.maxPastMs - 1_000) },
    ]);
    expect(result.rejected.map((r) => r.index)).toEqual([0]);
    expect(result.rejected[0]!.reason).toContain("365 days");
    expect(result.acceptedIndexes).toEqual([1]);
  });

  it("removes NUL and replaces lone surrogates in names, ids, property keys and values", () => {
    const text = String.raw`[{"event":"sign\u0000up","distinct_id":"u\ud800","properties":{"k\u0000ey":["a\udc00b",{"x":"\u0000"}]}}]`;
    expect(needsCleaning(text)).toBe(true);
    const [tuple] = validate(JSON.parse(text), { clean: true }).accepted;
    expect(tuple![1]).toBe("signup");
    expect(tuple![2]).toBe("u\ufffd");
    expect(JSON.stringify(tuple![7])).toBe(JSON.stringify({ key: ["a\ufffdb", { x: "" }] }));
  });

  it("refuses an event name that is empty once cleaned", () => {
    const result = validate(JSON.parse(String.raw`[{"event":"\u0000"}]`), { clean: true });
    expect(result.rejected).toHaveLength(1);
  });

  it("keeps __proto__ as an ordinary property that changes no prototype", () => {
    const events = JSON.parse('[{"event":"a","properties":{"__proto__":{"polluted":true},"b":1}}]');
    for (const clean of [false, true]) {
      const [tuple] = validate(events, { clean }).accepted;
      expect(JSON.parse(JSON.stringify(tuple![7]))).toEqual(JSON.parse('{"__proto__":{"polluted":true},"b":1}'));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(tuple![7]) === Object.prototype || Object.getPrototypeOf(tuple![7]) === null).toBe(
        true,
      );
    }
  });
});

describe("checkEnvelope", () => {
  it("agrees with the zod envelope schema on sent_at", () => {
    for (const sentAt of [
      "2026-06-01T12:00:00Z",
      "2026-06-01T12:00:00",
      "2026-06-01T12:00:00.123456",
      "2026-06-01T12:00:00.1+05:30",
      "2026-06-01",
      "2026-06-01T12:00",
      "noon",
      5,
      null,
    ]) {
      const ours = typeof checkEnvelope({ events: [{}], sent_at: sentAt }) === "object";
      const zods = ingestEnvelopeSchema.safeParse({ events: [{}], sent_at: sentAt }).success;
      expect({ sentAt, accepted: ours }).toEqual({ sentAt, accepted: zods });
    }
    expect(typeof checkEnvelope({ events: [{}], sent_at: "2026-06-01T12:00:00" })).toBe("object");
  });

  it("accepts the documented body and refuses anything else with a reason", () => {
    expect(typeof checkEnvelope({ events: [{}], sent_at: "2026-06-01T12:00:00Z", api_key: "k" })).toBe("object");
    for (const bad of [
      null,
      [],
      "x",
      {},
      { events: {} },
      { events: [] },
      { events: [{}], sent_at: "noon" },
      { events: [{}], api_key: 1 },
    ]) {
      expect(typeof checkEnvelope(bad)).toBe("string");
    }
  });
});

describe("cleanString", () => {
  it("keeps well-formed text, emoji included", () => {
    expect(cleanString("héllo 👋")).toBe("héllo 👋");
  });
});

describe("parseIsoTimestamp", () => {
  it("reads every accepted timestamp form exactly as Date.parse does", () => {
    const random = (n: number) => Math.floor(Math.random() * n);
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    const samples = [
      "2026-06-01T12:00:00Z",
      "2024-02-29T23:59:59.999+14:00",
      "1999-12-31T00:00:00.1-12:00",
      "0050-01-01T00:00:00Z",
      "2026-01-01T00:00:00.123456789+05:45",
    ];
    for (let i = 0; i < 2_000; i++) {
      const fraction =
        random(3) === 0
          ? ""
          : `.${String(random(1e9))
              .padStart(9, "0")
              .slice(0, 1 + random(9))}`;
      const zone = random(3) === 0 ? "Z" : `${random(2) ? "+" : "-"}${pad(random(24))}:${pad(random(60))}`;
      samples.push(
        `${pad(1970 + random(100), 4)}-${pad(1 + random(12))}-${pad(1 + random(28))}T${pad(random(24))}:${pad(random(60))}:${pad(random(60))}${fraction}${zone}`,
      );
    }
    for (const sample of samples)
      expect({ sample, ms: parseIsoTimestamp(sample) }).toEqual({ sample, ms: Date.parse(sample) });
  });

  it("reads a timestamp without an offset as UTC, not as the local time", () => {
    for (const sample of [
      "2026-06-01T12:00:00",
      "2024-02-29T23:59:59.999",
      "1999-12-31T00:00:00.1",
      "0050-01-01T00:00:00",
      "2026-01-01T00:00:00.123456789",
    ]) {
      expect({ sample, ms: parseIsoTimestamp(sample) }).toEqual({ sample, ms: Date.parse(`${sample}Z`) });
    }
  });
});

describe("insertIdFor", () => {
  it("derives distinct, time-ordered UUIDv7s for every event a request may hold", () => {
    const base = Bun.randomUUIDv7();
    const prefix = insertIdPrefix(base);
    const ids = Array.from({ length: INGEST_LIMITS.maxEvents }, (_, i) => insertIdFor(prefix, i));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.toSorted()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[0]!.slice(0, 14)).toBe(base.slice(0, 14));
    // The same base gives the same ids (the worker re-derives them from a body stored as sent).
    const events = [{ event: "a" }, { event: "b", insert_id: "mine" }, { event: "c" }];
    const first = validateEvents(events, { now: NOW, sentAt: null, clean: false, idBase: base });
    const again = validateEvents(events, { now: NOW, sentAt: null, clean: false, idBase: base });
    expect(again.accepted).toEqual(first.accepted);
    expect(first.accepted.map((t) => t[0])).toEqual([insertIdFor(prefix, 0), "mine", insertIdFor(prefix, 2)]);
  });
});
