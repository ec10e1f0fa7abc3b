import { describe, expect, it } from "bun:test";
import { chunk, enqueue, MAX_BATCH, MAX_BATCH_BYTES } from "./queue.ts";

const bytes = (event: { n: number; size: number }) => event.size;
const events = (sizes: number[]) => sizes.map((size, n) => ({ n, size }));

describe("enqueue", () => {
  it("appends without changing the original queue", () => {
    const queue = [1, 2];
    expect(enqueue(queue, 3, 10)).toEqual([1, 2, 3]);
    expect(queue).toEqual([1, 2]);
  });

  it("drops the oldest events beyond the bound", () => {
    let queue: number[] = [];
    for (let i = 1; i <= 7; i++) queue = enqueue(queue, i, 5);
    expect(queue).toEqual([3, 4, 5, 6, 7]);
  });
});

describe("chunk", () => {
  it("keeps every event, in order, in batches of at most maxCount", () => {
    const input = events(Array.from({ length: 250 }, () => 10));
    const batches = chunk(input, MAX_BATCH, MAX_BATCH_BYTES, bytes);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(input);
  });

  it("splits before a batch would pass maxBytes", () => {
    const batches = chunk(events([40, 40, 30, 50, 10]), 100, 100, bytes);
    expect(batches.map((b) => b.map((e) => e.size))).toEqual([
      [40, 40],
      [30, 50, 10],
    ]);
  });

  it("sends an event larger than maxBytes alone instead of blocking the queue", () => {
    const batches = chunk(events([10, 500, 10]), 100, 100, bytes);
    expect(batches.map((b) => b.map((e) => e.size))).toEqual([[10], [500], [10]]);
  });

  it("keeps every beacon body under the 64 KiB keepalive limit for realistic events", () => {
    const input = Array.from({ length: 300 }, (_, i) => ({
      event: "page_view",
      properties: { path: `/docs/${i}`, text: "x".repeat(800) },
      insert_id: crypto.randomUUID(),
    }));
    const size = (e: unknown) => new Blob([JSON.stringify(e)]).size;
    const batches = chunk(input, MAX_BATCH, MAX_BATCH_BYTES, size);
    for (const batch of batches) {
      const body = JSON.stringify({ api_key: "proj_x", sent_at: new Date().toISOString(), events: batch });
      expect(new Blob([body]).size).toBeLessThan(64 * 1024);
    }
    expect(batches.flat()).toHaveLength(300);
  });

  it("returns no batch for an empty queue", () => {
    expect(chunk([], 10, 100, () => 1)).toEqual([]);
  });
});
