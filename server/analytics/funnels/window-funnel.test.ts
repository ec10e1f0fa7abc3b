/**
 * The walk against the definition written naively (every step-1 event in order, each next step the first
 * unused matching event at or after the previous one within the window), on random entities with many ties, events
 * matching several steps, and both the distinct-steps early stop and without it.
 */
import { describe, expect, it } from "bun:test";
import { seededRandom } from "../../test-support/analytics-test-data.ts";
import { StepEvents, walkFunnel } from "./window-funnel.ts";

interface Ev {
  ts: number;
  bits: number;
  value: number;
}

function naive(list: Ev[], stepCount: number, windowMs: number) {
  const sorted = [...list].sort((a, b) => a.ts - b.ts || a.bits - b.bits || a.value - b.value);
  let best: { level: number; times: number[]; value: number } | null = null;
  for (const start of sorted) {
    if (!(start.bits & 1)) continue;
    const chain = [start];
    for (let k = 1; k < stepCount; k++) {
      const prev = chain[k - 1]!;
      const next = sorted.find(
        (e) => e.bits & (1 << k) && e.ts >= prev.ts && e.ts <= start.ts + windowMs && !chain.includes(e),
      );
      if (!next) break;
      chain.push(next);
    }
    if (!best || chain.length > best.level) {
      best = { level: chain.length, times: chain.map((e) => e.ts), value: start.value };
    }
  }
  return best;
}

describe("walkFunnel", () => {
  for (const distinct of [true, false]) {
    it(`matches the naive definition (${distinct ? "distinct steps, early stop" : "events matching several steps"})`, () => {
      const random = seededRandom(distinct ? 5 : 6);
      for (let round = 0; round < 20; round++) {
        const stepCount = 2 + Math.floor(random() * 4);
        const windowMs = 1 + Math.floor(random() * 6);
        const entities = 60;
        const events = new StepEvents();
        const byEntity: Ev[][] = Array.from({ length: entities }, () => []);
        for (let e = 0; e < entities; e++) {
          const count = Math.floor(random() * 12);
          for (let i = 0; i < count; i++) {
            const bits = distinct
              ? 1 << Math.floor(random() * stepCount)
              : 1 + Math.floor(random() * ((1 << stepCount) - 1));
            const ev = { ts: Math.floor(random() * 10), bits, value: Math.floor(random() * 3) };
            byEntity[e]!.push(ev);
            events.push(e, ev.ts, ev.bits, ev.value);
          }
        }
        const walk = walkFunnel(events, stepCount, windowMs, entities, Int32Array.from([0, 1, 2]), distinct);
        const got = new Map<number, { level: number; times: number[]; value: number }>();
        walk.entities.forEach((e, r) => {
          const level = walk.levels[r]!;
          got.set(e, {
            level,
            times: Array.from(walk.times.subarray(r * stepCount, r * stepCount + level)),
            value: walk.values[r]!,
          });
        });
        for (let e = 0; e < entities; e++) {
          expect({ round, e, answer: got.get(e) ?? null }).toEqual({
            round,
            e,
            answer: naive(byEntity[e]!, stepCount, windowMs),
          });
        }
      }
    });
  }
});
