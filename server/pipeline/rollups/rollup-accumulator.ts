/**
 * Step 3 of applyRollups: the rollup rows of one batch, per (project, bucket size, bucket, chunk) cell and inside
 * it per dimension value, with the event count and the members' bit positions; and their JSON for the upsert.
 *
 * Wire format: each row goes to PostgreSQL as { p, d, s, b, v, c, n, pos | hex } (project, dimension, bucket size,
 * bucket start in ms, value, chunk, events, bit positions or the chunk in hex), short keys because a batch sends
 * thousands of rows as text; `RollupCell.collect` is the one place that writes them, upsert-rollup-rows.ts the one
 * that reads them.
 */
import { bitOf, bucketStart, chunkHex, chunkOf } from "../../analytics/rollup-layout.ts";

/**
 * A set with more members than this travels as the chunk's bitmap in hex (CHUNK_BITS / 4 characters) rather than
 * as a list of bit positions: PostgreSQL builds a list member by member (a shift and an OR of a 512-byte string
 * each), which made the rollup statement a fifth of PostgreSQL's time when most events start a session.
 */
const LIST_AT_MOST = 8;

/** One dimension value's share of a cell. */
interface ValueCount {
  events: number;
  /** Bit positions (bitOf) of the members seen with this value in the cell's chunk. */
  positions: Set<number>;
}

/** A rollup row as sent to PostgreSQL (see the wire format above). */
interface RollupWireRow {
  p: string;
  d: string;
  s: number;
  b: number;
  v: string;
  c: number;
  n: number;
  pos?: number[];
  hex?: string;
}

/**
 * Cells are found by number (bucket, chunk) under the project, with no key string per event, and inside a cell each
 * dimension value by the string the row already holds. Consecutive events mostly share their cells, so the last
 * cell of each bucket size is kept at hand.
 */
export class RollupAccumulator {
  private readonly projects = new Map<string, Map<number, Map<number, RollupCell>>>();
  private readonly recent = new Map<number, RollupCell>();

  /** The cell of a member's chunk; an event with no session counts in chunk -1, which has no members. */
  cell(projectId: string, size: number, bucket: number, num: number | undefined): RollupCell {
    const chunk = num === undefined ? -1 : chunkOf(num);
    const last = this.recent.get(size);
    if (last && last.bucket === bucket && last.chunk === chunk && last.projectId === projectId) return last;
    const cell = this.cellOfChunk(projectId, size, bucket, chunk);
    this.recent.set(size, cell);
    return cell;
  }

  /**
   * Adds every cell of bucket size `from` into the cells of the same chunk in the larger `to` buckets that hold it:
   * an event counted in a 15-minute bucket is counted in its hour and day without being added three times. Folding
   * sums counts and ORs positions, which is exact for both.
   */
  foldUp(from: number, to: readonly number[]): void {
    const sources: RollupCell[] = [];
    for (const buckets of this.projects.values()) {
      for (const chunks of buckets.values()) {
        for (const cell of chunks.values()) if (cell.size === from) sources.push(cell);
      }
    }
    for (const source of sources) {
      for (const size of to) {
        this.cellOfChunk(source.projectId, size, bucketStart(source.bucket, size), source.chunk).merge(source);
      }
    }
  }

  private cellOfChunk(projectId: string, size: number, bucket: number, chunk: number): RollupCell {
    let buckets = this.projects.get(projectId);
    if (!buckets) {
      buckets = new Map();
      this.projects.set(projectId, buckets);
    }
    // Buckets are multiples of 15 minutes and sizes are below that in minutes, so bucket + size names the pair.
    const bucketKey = bucket + size;
    let chunks = buckets.get(bucketKey);
    if (!chunks) {
      chunks = new Map();
      buckets.set(bucketKey, chunks);
    }
    let cell = chunks.get(chunk);
    if (!cell) {
      cell = new RollupCell(projectId, size, bucket, chunk);
      chunks.set(chunk, cell);
    }
    return cell;
  }

  /** The rows as JSON for the upsert (which sorts them itself, so every writer locks in the same order). */
  toWireJson(): string {
    const out: RollupWireRow[] = [];
    for (const buckets of this.projects.values()) {
      for (const chunks of buckets.values()) {
        for (const cell of chunks.values()) cell.collect(out);
      }
    }
    return JSON.stringify(out);
  }
}

export class RollupCell {
  /** Per dimension, per value. */
  private readonly values = new Map<string, Map<string, ValueCount>>();

  constructor(
    readonly projectId: string,
    /** Bucket size in minutes. */
    readonly size: number,
    /** Bucket start, ms since the epoch. */
    readonly bucket: number,
    readonly chunk: number,
  ) {}

  add(dimension: string, value: string, num: number | undefined): void {
    let byValue = this.values.get(dimension);
    if (!byValue) {
      byValue = new Map();
      this.values.set(dimension, byValue);
    }
    let count = byValue.get(value);
    if (!count) {
      count = { events: 0, positions: new Set() };
      byValue.set(value, count);
    }
    count.events += 1;
    if (num !== undefined) count.positions.add(bitOf(num));
  }

  /** Adds another cell's counts and members (same chunk) into this one. */
  merge(other: RollupCell): void {
    for (const [dimension, otherValues] of other.values) {
      let byValue = this.values.get(dimension);
      if (!byValue) {
        byValue = new Map();
        this.values.set(dimension, byValue);
      }
      for (const [value, from] of otherValues) {
        const count = byValue.get(value);
        if (!count) {
          byValue.set(value, { events: from.events, positions: new Set(from.positions) });
          continue;
        }
        count.events += from.events;
        for (const position of from.positions) count.positions.add(position);
      }
    }
  }

  collect(out: RollupWireRow[]) {
    for (const [dimension, byValue] of this.values) {
      for (const [value, count] of byValue) {
        const row: RollupWireRow = {
          p: this.projectId,
          d: dimension,
          s: this.size,
          b: this.bucket,
          v: value,
          c: this.chunk,
          n: count.events,
        };
        if (count.positions.size > LIST_AT_MOST) row.hex = chunkHex(count.positions);
        else row.pos = [...count.positions];
        out.push(row);
      }
    }
  }
}
