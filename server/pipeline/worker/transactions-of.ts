import type { StreamEntry } from "../stream/event-stream.ts";

/**
 * Entry bytes per transaction: about 7,000 events of the benchmark's 100-event requests. Concurrent transactions
 * queue on the rows they all update (the current buckets' rollup cells, active sessions and users) from their
 * first update to their COMMIT, so that part of a transaction runs one at a time whatever its size; larger
 * transactions pay it for more events. Benchmark pipeline, quick runs alternated on 2 cores, 750 KB -> 2 MB:
 * drain 49-55k -> 59-65k events/s, sustained 41-52k -> 54-58k, PostgreSQL CPU 15.8-17.8 -> 12.5-13.8 µs per event,
 * worker peak RSS 155-158 -> 172-178 MB (3 MB reached 184 MB, too near the 200 MB budget).
 */
export const MAX_TRANSACTION_BYTES = 2_000_000;

/**
 * Splits what one read returned into transactions of at most MAX_TRANSACTION_BYTES, all about the same size: a read
 * just over the limit becomes two halves, not a full transaction and a one-entry one. Part of every transaction's
 * cost does not depend on its size (the rows all transactions update are held from the first update to COMMIT, and
 * the COMMIT waits for its WAL flush), and a quick drain made a third of its transactions of one entry each.
 */
export function transactionsOf(entries: readonly StreamEntry[]): StreamEntry[][] {
  let remaining = 0;
  for (const entry of entries) remaining += entry.payload.length;
  let left = Math.ceil(remaining / MAX_TRANSACTION_BYTES);
  // Each transaction aims at an equal share of what is left, so shortfalls do not pile up into a small last one.
  let target = remaining / left;
  const chunks: StreamEntry[][] = [];
  let current: StreamEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const length = entry.payload.length;
    // Close the transaction when this entry would take it past its share by more than it would leave it short.
    if (current.length > 0 && (bytes + length > MAX_TRANSACTION_BYTES || bytes + length / 2 > target)) {
      chunks.push(current);
      remaining -= bytes;
      left = Math.max(1, left - 1);
      target = remaining / left;
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
