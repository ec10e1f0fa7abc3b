/**
 * Splits a time range into rollup buckets and raw edges: the largest aligned buckets that fit, finer ones towards
 * the edges, and raw events only for what no bucket covers (at most one finest bucket at each end). Sizes are in
 * minutes and aligned to UTC (see rollup-layout.ts).
 */

export interface RangePieces {
  /** Rollup buckets to read: size in minutes, bucket start in ms. */
  pieces: Array<{ size: number; bucket: number }>;
  /** Half-open [start, end) intervals, in ms, to read from raw events. */
  raw: Array<[number, number]>;
}

const ceilTo = (ms: number, unit: number) => Math.ceil(ms / unit) * unit;
const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/** Covers [from, to) with buckets of `sizes` (ascending) and raw intervals. */
export function splitRange(from: number, to: number, sizes: readonly number[]): RangePieces {
  const result: RangePieces = { pieces: [], raw: [] };
  if (from >= to) return result;
  const unit = sizes[0]! * 60_000;
  const start = ceilTo(from, unit);
  const end = floorTo(to, unit);
  if (start >= end) {
    result.raw.push([from, to]);
    return result;
  }
  if (from < start) result.raw.push([from, start]);
  if (end < to) result.raw.push([end, to]);
  cover(start, end, sizes, result);
  return result;
}

/** [start, end) is aligned to sizes[0]: use the next size for its aligned middle, this size for the sides. */
function cover(start: number, end: number, sizes: readonly number[], result: RangePieces): void {
  const size = sizes[0]!;
  const unit = size * 60_000;
  const next = sizes[1];
  if (next !== undefined) {
    const nextUnit = next * 60_000;
    const middleStart = ceilTo(start, nextUnit);
    const middleEnd = floorTo(end, nextUnit);
    if (middleStart < middleEnd) {
      for (let t = start; t < middleStart; t += unit) result.pieces.push({ size, bucket: t });
      cover(middleStart, middleEnd, sizes.slice(1), result);
      for (let t = middleEnd; t < end; t += unit) result.pieces.push({ size, bucket: t });
      return;
    }
  }
  for (let t = start; t < end; t += unit) result.pieces.push({ size, bucket: t });
}
