import { describe, expect, it } from "bun:test";
import type { StreamEntry } from "../stream/event-stream.ts";
import { MAX_TRANSACTION_BYTES, transactionsOf } from "./transactions-of.ts";

const entries = (lengths: number[]): StreamEntry[] =>
  lengths.map((length, i) => ({ id: `1-${i}`, payload: "x".repeat(length), deliveries: 1 }));
const bytesOf = (chunk: StreamEntry[]) => chunk.reduce((sum, entry) => sum + entry.payload.length, 0);

describe("transactionsOf", () => {
  it("splits a read just over the limit into two halves, not a full transaction and a one-entry one", () => {
    const read = entries(Array(75).fill(26_700));
    const chunks = transactionsOf(read);
    expect(chunks.map((chunk) => chunk.length).sort()).toEqual([37, 38]);
    expect(chunks.flat()).toEqual(read);
  });

  it("keeps every transaction within the limit, in order, with every entry once", () => {
    const lengths = Array.from({ length: 400 }, (_, i) => 1_000 + ((i * 7_919) % 60_000));
    const read = entries(lengths);
    const chunks = transactionsOf(read);
    for (const chunk of chunks) expect(bytesOf(chunk)).toBeLessThanOrEqual(MAX_TRANSACTION_BYTES);
    expect(chunks.flat()).toEqual(read);
    const sizes = chunks.map(bytesOf);
    expect(Math.min(...sizes)).toBeGreaterThan(Math.max(...sizes) / 2);
  });

  it("gives an entry larger than the limit a transaction of its own, and a small read one transaction", () => {
    const read = entries([100, MAX_TRANSACTION_BYTES + 1, 100]);
    expect(transactionsOf(read).map((chunk) => chunk.map((entry) => entry.id))).toEqual([["1-0"], ["1-1"], ["1-2"]]);
    expect(transactionsOf(entries([10, 20, 30]))).toHaveLength(1);
    expect(transactionsOf([])).toEqual([]);
  });
});
