/**
 * How fast the funnel's in-memory part is (collection over segments, the walk, the figures), on synthetic segments
 * shaped like the benchmark's 10 M events over 90 days: 30 days = ~3.4 M events in 52 segments of 65,536, 400,000
 * people, sessions of ~8 events, and ordered signup/checkout journeys for a share of the people. The database part
 * (loading the segments' columns, cached after the first call) is not in it: `bun run bench` measures that.
 *
 *   bun server/analytics/funnels/measure-funnel-speed.ts [--events 3400000] [--people 400000] [--runs 7] [--phases]
 */
import { parseArgs } from "node:util";
import { type Column, DICTIONARY, NUMBERS_F64, NUMBERS_I32 } from "../engine/column-codec.ts";
import type { ScannedSegment } from "../engine/query-engine.ts";
import { SEGMENT_CAPACITY } from "../engine/segment-layout.ts";
import { collectStepEvents, funnelResult, walkCollected } from "./get-funnel.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    events: { type: "string", default: "3400000" },
    people: { type: "string", default: "400000" },
    runs: { type: "string", default: "7" },
    phases: { type: "boolean", default: false },
  },
});
const EVENTS = Number(values.events);
const PEOPLE = Number(values.people);
const RUNS = Number(values.runs);
const DAY = 86_400_000;
const FROM = Date.UTC(2026, 0, 1);
const TO = FROM + 30 * DAY;
const NAMES = ["page_view", "button_click", "form_submit", "signup", "checkout_started", "purchase"];
const BROWSERS = ["Chrome", "Safari", "Firefox", "Edge", "Samsung Internet"];

let seed = 42;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

/** Events in time order: background traffic plus journeys page_view -> signup -> checkout_started -> purchase. */
function buildEvents() {
  const ts = new Float64Array(EVENTS);
  const name = new Uint8Array(EVENTS);
  const user = new Int32Array(EVENTS);
  const session = new Int32Array(EVENTS);
  const browser = new Uint8Array(EVENTS);
  let n = 0;
  let sessionNum = 0;
  while (n < EVENTS) {
    const who = Math.floor(random() * PEOPLE);
    const at = FROM + random() * (TO - FROM - DAY);
    const b = 1 + Math.floor(random() * BROWSERS.length);
    const journey = random() < 0.3;
    const length = journey ? 4 : 1 + Math.floor(random() * 14);
    let t = at;
    sessionNum++;
    for (let i = 0; i < length && n < EVENTS; i++) {
      let code = 1; // page_view
      if (journey) {
        if (i > 0 && random() > [1, 0.5, 0.6, 0.7][i]!) break;
        code = [1, 4, 5, 6][i]!;
      } else {
        const r = random();
        code = r < 0.7 ? 1 : r < 0.85 ? 2 : r < 0.95 ? 3 : 4;
      }
      ts[n] = Math.floor(t);
      name[n] = code;
      user[n] = random() < 0.05 ? -1 : who;
      session[n] = sessionNum;
      browser[n] = b;
      n++;
      t += 1000 + random() * 300_000;
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ts[a]! - ts[b]!);
  return { n, order, ts, name, user, session, browser, sessions: sessionNum };
}

function buildSegments(): { segments: ScannedSegment[]; sessions: number } {
  const all = buildEvents();
  const segments: ScannedSegment[] = [];
  for (let start = 0; start < all.n; start += SEGMENT_CAPACITY) {
    const slots = all.order.slice(start, start + SEGMENT_CAPACITY);
    const ts = Float64Array.from(slots, (i) => all.ts[i]!);
    const columns: Record<string, Column> = {
      event_name: { kind: DICTIONARY, entries: NAMES, codes: Uint8Array.from(slots, (i) => all.name[i]!) },
      browser: { kind: DICTIONARY, entries: BROWSERS, codes: Uint8Array.from(slots, (i) => all.browser[i]!) },
    };
    segments.push({
      info: { id: segments.length, minTs: ts[0]!, maxTs: ts[ts.length - 1]!, count: ts.length },
      ts,
      filterColumns: [],
      sessions: Int32Array.from(slots, (i) => all.session[i]!),
      users: Int32Array.from(slots, (i) => all.user[i]!),
      values: null,
      column: (name: string) => columns[name] ?? null,
    });
    void NUMBERS_F64;
    void NUMBERS_I32;
  }
  return { segments, sessions: all.sessions };
}

const { segments, sessions } = buildSegments();
const members = { personOf: null, sessionSpace: sessions, userSpace: PEOPLE };
const steps = [{ event: "page_view" }, { event: "signup" }, { event: "checkout_started" }, { event: "purchase" }];
const cases = [
  { label: "4 steps, people", bySessions: false, breakdownColumn: null },
  { label: "4 steps, sessions", bySessions: true, breakdownColumn: null },
  { label: "4 steps, people, by browser", bySessions: false, breakdownColumn: "browser" },
];
console.log(`${segments.length} segments, ${segments.reduce((s, g) => s + g.ts.length, 0).toLocaleString()} events`);
for (const c of cases) {
  const times: number[] = [];
  const cpu: number[] = [];
  let counts: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const collected = collectStepEvents(segments, members, {
      span: { from: FROM, to: TO },
      filters: [],
      steps,
      stepFilterColumns: steps.map(() => []),
      breakdownColumn: c.breakdownColumn,
      bySessions: c.bySessions,
    });
    const collectedAt = performance.now();
    const walked = walkCollected(collected, steps.length, DAY, true);
    const walkedAt = performance.now();
    const result = funnelResult(walked, {
      steps,
      breakdown: c.breakdownColumn === null ? undefined : "browser",
    });
    times.push(performance.now() - started);
    cpu.push(process.cpuUsage(cpuStart).user / 1000);
    if (values.phases)
      console.log(
        `  collect ${(collectedAt - started).toFixed(0)} walk ${(walkedAt - collectedAt).toFixed(0)} figures ${(performance.now() - walkedAt).toFixed(0)} (${collected.events.n} step events)`,
      );
    counts = result.steps.map((s) => s.count);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  console.log(
    `${c.label}: median ${times[times.length >> 1]!.toFixed(0)} ms (CPU ${cpu[cpu.length >> 1]!.toFixed(0)} ms), max ${times.at(-1)!.toFixed(0)} ms; counts ${counts.join(" / ")}`,
  );
}
