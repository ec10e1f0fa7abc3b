/**
 * The funnel walk (README.md, "Funnels"; ClickHouse windowFunnel, default mode) over step events collected from the
 * engine's segments: per entity (person or session) the furthest step reached by a chain of distinct events in time
 * order, equal times allowed between consecutive steps, the last at most `windowMs` after the first.
 *
 * Events are grouped by entity with a counting sort (entity nums are dense), then sorted within the entity by
 * (time, step bits, breakdown rank) with an insertion sort (segments arrive in time order, so a group is nearly
 * sorted). Events equal in all three are interchangeable, so the answer never depends on storage order. Per entity,
 * each step keeps the list of its events' positions; a step-1 event's chain finds each next step by binary search on
 * time in that step's list (skipping events the chain already used), so a walk costs O(step-1 events x steps x log).
 */

/** Step events in collection order; `bits` has bit k set when the event matches step k + 1. */
export class StepEvents {
  n = 0;
  entity = new Int32Array(1024);
  ts = new Float64Array(1024);
  bits = new Uint16Array(1024);
  value = new Int32Array(1024);

  push(entity: number, ts: number, bits: number, value: number): void {
    if (this.n === this.entity.length) this.grow();
    const i = this.n++;
    this.entity[i] = entity;
    this.ts[i] = ts;
    this.bits[i] = bits;
    this.value[i] = value;
  }

  private grow(): void {
    const size = this.entity.length * 2;
    const entity = new Int32Array(size);
    entity.set(this.entity);
    this.entity = entity;
    const ts = new Float64Array(size);
    ts.set(this.ts);
    this.ts = ts;
    const bits = new Uint16Array(size);
    bits.set(this.bits);
    this.bits = bits;
    const value = new Int32Array(size);
    value.set(this.value);
    this.value = value;
  }
}

/** Per entity that reached step 1: its level, the times of its chain's events and its step-1 event's value. */
export interface FunnelWalk {
  stepCount: number;
  /** Entity nums that reached step 1, ascending. */
  entities: Int32Array;
  levels: Uint8Array;
  /** times[e * stepCount + k]: the time of step k + 1 in entity e's chain (NaN past its level). */
  times: Float64Array;
  values: Int32Array;
}

/**
 * Walks every entity once. `space` bounds the entity nums (all < space); `valueRank[v]` orders breakdown values
 * (ties between equal-time step-1 events go to the lower rank). `distinctSteps`: no event matches two steps (the
 * steps' event names differ), which makes the early stop below exact.
 */
export function walkFunnel(
  events: StepEvents,
  stepCount: number,
  windowMs: number,
  space: number,
  valueRank: Int32Array,
  distinctSteps: boolean,
): FunnelWalk {
  // Entities without a step-1 event never enter the funnel: their events are left out of the sort below.
  const hasStart = new Uint8Array(space);
  for (let i = 0; i < events.n; i++) hasStart[events.entity[i]!]! |= events.bits[i]! & 1;
  // Counting sort by entity.
  const starts = new Int32Array(space + 1);
  let n = 0;
  for (let i = 0; i < events.n; i++) {
    const e = events.entity[i]!;
    if (hasStart[e] === 0) continue;
    starts[e + 1]!++;
    n++;
  }
  for (let e = 0; e < space; e++) starts[e + 1]! += starts[e]!;
  // Scatter into entity order: sequential reads, one write per array (cheaper than gathering through an index).
  const fill = starts.slice(0, space);
  const ts = new Float64Array(n);
  const bits = new Uint16Array(n);
  const rank = new Int32Array(n);
  const value = new Int32Array(n);
  for (let i = 0; i < events.n; i++) {
    const e = events.entity[i]!;
    if (hasStart[e] === 0) continue;
    const j = fill[e]!++;
    const v = events.value[i]!;
    ts[j] = events.ts[i]!;
    bits[j] = events.bits[i]!;
    value[j] = v;
    rank[j] = valueRank[v]!;
  }

  let reached = 0;
  for (let e = 0; e < space; e++) reached += hasStart[e]!;
  const entities = new Int32Array(reached);
  const levels = new Uint8Array(reached);
  const times = new Float64Array(reached * stepCount).fill(Number.NaN);
  const values = new Int32Array(reached);

  // Per-step position lists of the current entity, in one scratch buffer.
  let lists = new Int32Array(0);
  const listStart = new Int32Array(stepCount);
  const listEnd = new Int32Array(stepCount);
  const chain = new Int32Array(stepCount);
  const bestChain = new Int32Array(stepCount);
  /** The greedy chain from step-1 event `first` (slot) with last time `deadline`, into `chain`; its level. */
  const chainFrom = (first: number, deadline: number): number => {
    chain[0] = first;
    let level = 1;
    for (let k = 1; k < stepCount; k++) {
      const after = ts[chain[k - 1]!]!;
      // First position in step k's list with time >= after.
      let lo = listStart[k]!;
      let hi = listEnd[k]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ts[lists[mid]!]! < after) lo = mid + 1;
        else hi = mid;
      }
      let found = -1;
      for (let q = lo; q < listEnd[k]!; q++) {
        const j = lists[q]!;
        if (ts[j]! > deadline) break;
        let used = false;
        for (let u = 0; u < k; u++) {
          if (chain[u] === j) {
            used = true;
            break;
          }
        }
        if (!used) {
          found = j;
          break;
        }
      }
      if (found < 0) break;
      chain[k] = found;
      level = k + 1;
    }
    return level;
  };
  let out = 0;
  for (let e = 0; e < space; e++) {
    if (hasStart[e] === 0) continue;
    const a = starts[e]!;
    const b = starts[e + 1]!;
    sortGroup(ts, bits, rank, value, a, b);
    const length = b - a;
    if (lists.length < length * stepCount) lists = new Int32Array(length * stepCount * 2);
    for (let k = 0; k < stepCount; k++) {
      listStart[k] = k * length;
      listEnd[k] = k * length;
    }
    for (let j = a; j < b; j++) {
      const mask = bits[j]!;
      for (let k = 0; k < stepCount; k++) if (mask & (1 << k)) lists[listEnd[k]!++] = j;
    }
    // With distinct step events, the chain from the first step-1 event with no window bounds every chain's level
    // (README.md, "Funnels"): once a start reaches it, no later start can do better.
    const bound =
      distinctSteps && listEnd[0]! > listStart[0]!
        ? chainFrom(lists[listStart[0]!]!, Number.POSITIVE_INFINITY)
        : stepCount;
    let best = 0;
    let bestFirst = -1;
    for (let p = listStart[0]!; p < listEnd[0]! && best < bound; p++) {
      const first = lists[p]!;
      const level = chainFrom(first, ts[first]! + windowMs);
      if (level > best) {
        best = level;
        bestFirst = first;
        for (let k = 0; k < level; k++) bestChain[k] = chain[k]!;
      }
    }
    entities[out] = e;
    levels[out] = best;
    for (let k = 0; k < best; k++) times[out * stepCount + k] = ts[bestChain[k]!]!;
    values[out] = bestFirst < 0 ? 0 : value[bestFirst]!;
    out++;
  }
  return { stepCount, entities, levels, times, values };
}

/** Sorts slots [a, b) by (ts, bits, rank), moving value along: insertion sort for nearly sorted small groups. */
function sortGroup(ts: Float64Array, bits: Uint16Array, rank: Int32Array, value: Int32Array, a: number, b: number) {
  const before = (i: number, j: number) =>
    ts[i]! < ts[j]! || (ts[i] === ts[j] && (bits[i]! < bits[j]! || (bits[i] === bits[j] && rank[i]! < rank[j]!)));
  if (b - a > 64) {
    let sorted = true;
    for (let i = a + 1; i < b && sorted; i++) if (before(i, i - 1)) sorted = false;
    if (sorted) return;
    // A big group out of order (events from overlapping segments): an index sort, then one permutation.
    const index = Array.from({ length: b - a }, (_, i) => a + i);
    index.sort((i, j) => (before(i, j) ? -1 : before(j, i) ? 1 : 0));
    const t2 = index.map((i) => ts[i]!);
    const m2 = index.map((i) => bits[i]!);
    const r2 = index.map((i) => rank[i]!);
    const v2 = index.map((i) => value[i]!);
    ts.set(t2, a);
    bits.set(m2, a);
    rank.set(r2, a);
    value.set(v2, a);
    return;
  }
  for (let i = a + 1; i < b; i++) {
    const t = ts[i]!;
    const m = bits[i]!;
    const r = rank[i]!;
    const v = value[i]!;
    let j = i - 1;
    while (j >= a && (ts[j]! > t || (ts[j] === t && (bits[j]! > m || (bits[j] === m && rank[j]! > r))))) {
      ts[j + 1] = ts[j]!;
      bits[j + 1] = bits[j]!;
      rank[j + 1] = rank[j]!;
      value[j + 1] = value[j]!;
      j--;
    }
    ts[j + 1] = t;
    bits[j + 1] = m;
    rank[j + 1] = r;
    value[j + 1] = v;
  }
}
