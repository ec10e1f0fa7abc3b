/**
 * The slots of a segment whose dictionary code is one of a few (the funnel's step names, the paths' page_view), in
 * slot order: analyses that read only some event names walk these instead of every slot. Cached per column, since a
 * cached column is the same object for as long as its segment stays cached and segments never change
 * (segment-store.ts); a few code sets per column at most (the dashboard asks the same funnel again and again), so
 * the cache stays within a small multiple of the column's own size.
 */
import type { CodeArray } from "./column-codec.ts";

const MAX_SETS_PER_COLUMN = 4;
const cache = new WeakMap<CodeArray, Map<string, Int32Array>>();

/** Slots i (ascending) with codes[i] in `wanted` (codes > 0, a missing value never matches). */
export function slotsWithCodes(codes: CodeArray, wanted: readonly number[]): Int32Array {
  const key = [...new Set(wanted)].sort((a, b) => a - b).join(",");
  let bySet = cache.get(codes);
  if (!bySet) {
    bySet = new Map();
    cache.set(codes, bySet);
  }
  const cached = bySet.get(key);
  if (cached) return cached;
  const table = new Uint8Array(Math.max(0, ...wanted) + 1);
  for (const code of wanted) if (code > 0) table[code] = 1;
  let count = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i]! < table.length && table[codes[i]!] === 1) count++;
  const slots = new Int32Array(count);
  let n = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i]! < table.length && table[codes[i]!] === 1) slots[n++] = i;
  if (bySet.size >= MAX_SETS_PER_COLUMN) bySet.clear();
  bySet.set(key, slots);
  return slots;
}

/** First index of `slots` (ascending) whose value is >= slot. */
export function firstSlotAtOrAfter(slots: Int32Array, slot: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (slots[mid]! < slot) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
