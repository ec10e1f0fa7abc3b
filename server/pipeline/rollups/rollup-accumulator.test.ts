import { describe, expect, it } from "bun:test";
import {
  bitOf,
  CHUNK_BITS,
  chunkHex,
  chunkOf,
  DIMENSION_SIZES,
  HOUR,
  QUARTER,
  TOTAL_SIZES,
  USER_DIMENSION_SIZES,
  USER_TOTAL_SIZES,
} from "../../analytics/rollup-layout.ts";
import { RollupAccumulator } from "./rollup-accumulator.ts";

const T = Date.UTC(2026, 0, 5, 10, 20);

describe("the rollup layout as applyRollups folds it", () => {
  // applyRollups counts each event in the quarter hour ('all') and the hour (dimensions) and folds those up; a
  // layout of another shape would leave larger buckets short. (This was a throw at import time.)
  it("keeps totals at the quarter hour plus the dimension sizes, which start at the hour", () => {
    expect([...TOTAL_SIZES]).toEqual([QUARTER, ...DIMENSION_SIZES]);
    expect(DIMENSION_SIZES[0]).toBe(HOUR);
    expect([...USER_TOTAL_SIZES]).toEqual([QUARTER, ...USER_DIMENSION_SIZES]);
    expect(USER_DIMENSION_SIZES[0]).toBe(HOUR);
  });
});

describe("the member encoding", () => {
  it("puts a num in chunk num / CHUNK_BITS at bit num % CHUNK_BITS, bit 0 leftmost in hex", () => {
    expect([chunkOf(0), bitOf(0)]).toEqual([0, 0]);
    expect([chunkOf(CHUNK_BITS + 5), bitOf(CHUNK_BITS + 5)]).toEqual([1, 5]);
    const hex = chunkHex([0, 9, CHUNK_BITS - 1]);
    expect(hex.length).toBe(CHUNK_BITS / 4);
    expect(hex.slice(0, 4)).toBe("8040");
    expect(hex.endsWith("01")).toBe(true);
  });
});

describe("RollupAccumulator", () => {
  it("folds quarter-hour cells into their hour once, summing events and joining members", () => {
    const rollups = new RollupAccumulator();
    rollups.cell("p", QUARTER, T, 3).add("all", "", 3);
    rollups.cell("p", QUARTER, T + 15 * 60_000, CHUNK_BITS + 1).add("all", "", CHUNK_BITS + 1);
    rollups.cell("p", QUARTER, T + 15 * 60_000, 7).add("all", "", 7);
    rollups.foldUp(QUARTER, [HOUR]);
    const rows = (JSON.parse(rollups.toWireJson()) as Array<{ s: number; c: number; n: number; pos: number[] }>)
      .filter((row) => row.s === HOUR)
      .map((row) => [row.c, row.n, row.pos.sort()]);
    expect(rows.sort()).toEqual([
      [0, 2, [3, 7]],
      [1, 1, [1]],
    ]);
  });
});
