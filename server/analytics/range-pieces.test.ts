import { describe, expect, it } from "bun:test";
import { splitRange } from "./range-pieces.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BASE = Date.UTC(2026, 0, 5);

/** Every millisecond of [from, to) covered exactly once by the pieces and raw intervals. */
function expectExactCover(from: number, to: number, sizes: number[]) {
  const { pieces, raw } = splitRange(from, to, sizes);
  const spans = [
    ...pieces.map((p) => [p.bucket, p.bucket + p.size * MINUTE] as const),
    ...raw.map(([a, b]) => [a, b] as const),
  ].sort((x, y) => x[0] - y[0]);
  let at = from;
  for (const [a, b] of spans) {
    expect(a).toBe(at);
    expect(b).toBeGreaterThan(a);
    at = b;
  }
  expect(at).toBe(to);
  for (const p of pieces) expect(p.bucket % (p.size * MINUTE)).toBe(0);
  return { pieces, raw };
}

describe("splitRange", () => {
  it("uses whole days in the middle, hours and quarter hours towards the edges, raw only inside the finest bucket", () => {
    const from = BASE + 3 * HOUR + 7 * MINUTE + 123;
    const to = BASE + 5 * DAY + 4 * HOUR + 52 * MINUTE;
    const { pieces, raw } = expectExactCover(from, to, [15, 60, 1440]);
    expect(pieces.filter((p) => p.size === 1440)).toHaveLength(4);
    expect(raw).toEqual([
      [from, BASE + 3 * HOUR + 15 * MINUTE],
      [BASE + 5 * DAY + 4 * HOUR + 45 * MINUTE, to],
    ]);
    expect(raw.every(([a, b]) => b - a < 15 * MINUTE)).toBe(true);
  });

  it("reads a range inside one bucket from raw events only", () => {
    expect(splitRange(BASE + 5 * MINUTE, BASE + 10 * MINUTE, [15, 60, 1440])).toEqual({
      pieces: [],
      raw: [[BASE + 5 * MINUTE, BASE + 10 * MINUTE]],
    });
  });

  it("covers Kolkata days (18:30 to 18:30 UTC) with quarter hours and hours, no raw events", () => {
    const { raw, pieces } = expectExactCover(
      BASE - 5 * HOUR - 30 * MINUTE,
      BASE + DAY - 5 * HOUR - 30 * MINUTE,
      [15, 60, 1440],
    );
    expect(raw).toEqual([]);
    expect(pieces.filter((p) => p.size === 15)).toHaveLength(4);
  });

  it("covers arbitrary ranges exactly with hour and day buckets", () => {
    for (let i = 0; i < 200; i++) {
      const from = BASE + Math.floor(Math.random() * 10 * DAY);
      const to = from + 1 + Math.floor(Math.random() * 4 * DAY);
      expectExactCover(from, to, [60, 1440]);
      expectExactCover(from, to, [15, 60, 1440]);
    }
  });

  it("returns nothing for an empty range", () => {
    expect(splitRange(BASE, BASE, [60])).toEqual({ pieces: [], raw: [] });
  });
});
