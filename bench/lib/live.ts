/**
 * Live feed: latency from the ingest 202 to the event arriving on the project's WebSocket, while the pipeline runs
 * at a steady `liveRate` events/s (bodies of 50 events). The first event of each request carries `bench_seq`, so
 * every request gives one latency sample: WebSocket arrival time minus the time its 202 arrived (0 when the
 * WebSocket was faster than the HTTP answer).
 */
import type { TrpcClient } from "./api.ts";
import type { BenchContext } from "./context.ts";
import { type PacedResult, sendPaced } from "./paced-sender.ts";
import { createRandom, makeClientEvents, USER_AGENT } from "./payloads.ts";
import { percentile } from "./stats.ts";

export interface LiveResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  /** Marked events accepted but never seen on the socket within the grace period. */
  missing: number;
  rateEventsPerS: number;
  sender: PacedResult;
}

const EVENTS_PER_REQUEST = 50;

export async function measureLive(
  ctx: BenchContext,
  options: { baseUrl: string; apiKey: string; projectId: string; client: TrpcClient },
): Promise<LiveResult> {
  const { ticket } = await options.client.mutation<{ ticket: string }>("auth.wsTicket", {
    projectId: options.projectId,
  });
  const wsUrl = `${options.baseUrl.replace(/^http/, "ws")}/api/v1/ws/events/${options.projectId}?ticket=${encodeURIComponent(ticket)}`;
  const socket = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`WebSocket to ${wsUrl.replace(/ticket=.*/, "ticket=...")} failed`));
  });
  socket.onerror = (event) => ctx.errors.push({ part: "live", message: `WebSocket error: ${String(event.type)}` });

  const acceptedAt = new Map<number, number>();
  const seenAt = new Map<number, number>();
  socket.onmessage = (message) => {
    const at = performance.now();
    const parsed = JSON.parse(String(message.data)) as unknown;
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const seq = (item as { properties?: { bench_seq?: unknown } })?.properties?.bench_seq;
      if (typeof seq === "number" && !seenAt.has(seq)) seenAt.set(seq, at);
    }
  };

  const events = makeClientEvents(EVENTS_PER_REQUEST, createRandom(5));
  const first = events[0]!;
  first.properties = { ...first.properties, bench_seq: -1 };
  const template = JSON.stringify({ events });
  const [before, after] = template.split('"bench_seq":-1') as [string, string];

  try {
    const sender = await sendPaced({
      url: `${options.baseUrl}/api/v1/events/ingest`,
      apiKey: options.apiKey,
      userAgent: USER_AGENT,
      rate: ctx.options.liveRate,
      eventsPerRequest: EVENTS_PER_REQUEST,
      durationS: ctx.options.liveDurationS,
      // Fresh timestamps keep the events "now" for the whole run; the server makes the insert ids.
      body: (seq) => `${before}"bench_seq":${seq}${after}`,
      onAccepted: (seq, at) => acceptedAt.set(seq, at),
    });
    // Grace period for the last events to come through the worker.
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline && [...acceptedAt.keys()].some((seq) => !seenAt.has(seq))) await Bun.sleep(100);

    const latencies: number[] = [];
    let missing = 0;
    for (const [seq, accepted] of acceptedAt) {
      const seen = seenAt.get(seq);
      if (seen === undefined) missing++;
      else latencies.push(Math.max(0, seen - accepted));
    }
    if (latencies.length === 0)
      throw new Error(`no marked event came back on the WebSocket (${acceptedAt.size} accepted)`);
    return {
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      samples: latencies.length,
      missing,
      rateEventsPerS: (sender.accepted / (sender.endedAt - sender.startedAt)) * 1000,
      sender,
    };
  } finally {
    socket.close();
  }
}
