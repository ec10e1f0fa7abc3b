import { describe, expect, it } from "bun:test";
import { INGEST_LIMITS } from "../../shared/ingest.ts";
import { decodeEventBatch, encodeEventBatch, type BatchContext } from "./event-batch.ts";
import type { EventTuple } from "./validate-events.ts";

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
  it("writes the same entry whether the batch is serialised whole or event by event", () => {
    for (const count of [1, 2, 17, 100]) {
      const tuples = Array.from({ length: count }, (_, i) => tuple(i));
      const whole = encodeEventBatch(context, tuples, 1_000);
      const perEvent = encodeEventBatch(context, tuples);
      expect(whole).toEqual(perEvent);
      expect(whole.count).toBe(count);
      const rows = decodeEventBatch(whole.payload!);
      expect(rows.map((r) => r.insertId)).toEqual(tuples.map((t) => t[0]));
      expect(rows[0]!.properties).toEqual(tuples[0]![7] as Record<string, unknown>);
    }
  });

  it("still leaves out an event over the per-event limit when the body looked small", () => {
    const big = { pad: "x".repeat(INGEST_LIMITS.maxEventBytes) };
    const tuples = [tuple(0), tuple(1, big), tuple(2)];
    for (const bodyBytes of [100, Infinity]) {
      const encoded = encodeEventBatch(context, tuples, bodyBytes);
      expect(encoded.oversized).toEqual([1]);
      expect(encoded.count).toBe(2);
      expect(decodeEventBatch(encoded.payload!).map((r) => r.insertId)).toEqual(["id-0", "id-2"]);
    }
    expect(encodeEventBatch(context, [tuple(1, big)], 100)).toEqual({ payload: null, count: 0, oversized: [0] });
  });

  it("measures the limit in UTF-8 bytes on both paths", () => {
    // 3-byte characters: under the limit in UTF-16 units, over it in bytes.
    const wide = { pad: "€".repeat(Math.ceil(INGEST_LIMITS.maxEventBytes / 3)) };
    for (const bodyBytes of [100, Infinity]) {
      expect(encodeEventBatch(context, [tuple(0), tuple(1, wide)], bodyBytes).oversized).toEqual([1]);
    }
  });
});
