/**
 * The visit pass alone (visit-metrics.ts visitFigures) over synthetic segments shaped like the seed's (65,536 slots
 * in time order, sessions numbered by first sight, a few thousand open at once), no database:
 *   bun bench/visit-pass-synthetic.ts [events=10000000]
 * Prints warm medians of the overview's two groups over the last 7, 30 and 90 days.
 */
import { type Column, DICTIONARY } from "../server/analytics/engine/column-codec.ts";
import { type VisitSegment, visitFigures } from "../server/analytics/engine/visit-metrics.ts";

const EVENTS = Number(process.argv[2] ?? 10_000_000);
const DAY = 86_400_000;
const now = Date.UTC(2026, 0, 1);
const start = now - 90 * DAY;
const SLOTS = 65_536;
const names = ["page_view", "click", "signup", "identify", "purchase", "scroll"];
let seed = 1;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
// Open sessions: each event belongs to one of OPEN sessions; a session ends after ~6 events, then a new num opens.
const OPEN = 3000;
const open = new Int32Array(OPEN);
const left = new Int32Array(OPEN);
let nextSession = 0;
for (let k = 0; k < OPEN; k++) {
  open[k] = ++nextSession;
  left[k] = 1 + Math.floor(rand() * 12);
}
const segments: VisitSegment[] = [];
for (let at = 0; at < EVENTS; at += SLOTS) {
  const n = Math.min(SLOTS, EVENTS - at);
  const ts = new Float64Array(n);
  const sessions = new Int32Array(n);
  const codes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = start + ((at + i) / EVENTS) * 90 * DAY;
    const k = Math.floor(rand() * OPEN);
    sessions[i] = rand() < 0.05 ? -1 : open[k]!;
    if (--left[k]! === 0) {
      open[k] = ++nextSession;
      left[k] = 1 + Math.floor(rand() * 12);
    }
    codes[i] = rand() < 0.6 ? 1 : 1 + Math.floor(rand() * names.length);
  }
  const column: Column = { kind: DICTIONARY, entries: names, codes };
  segments.push({
    info: { id: segments.length + 1, minTs: ts[0]!, maxTs: ts[n - 1]!, count: n },
    ts,
    filterColumns: [],
    sessions,
    users: null,
    values: null,
    names: column,
  });
}
console.log(`${EVENTS} events, ${segments.length} segments, ${nextSession} sessions`);
for (const days of [7, 30, 90]) {
  const groups = [
    { from: now - days * DAY, to: now },
    { from: now - 2 * days * DAY, to: now - days * DAY },
  ];
  const runs: number[] = [];
  let visits = 0;
  for (let i = 0; i < 8; i++) {
    const t = process.cpuUsage();
    const figures = visitFigures(segments, [], groups, nextSession);
    const used = process.cpuUsage(t);
    runs.push((used.user + used.system) / 1000);
    visits = figures[0]!.visits + figures[1]!.visits;
  }
  const warm = runs.slice(1).sort((a, b) => a - b);
  console.log(`${days}d: CPU warm median ${warm[3]!.toFixed(1)} ms (min ${warm[0]!.toFixed(1)}), visits ${visits}`);
}
