/**
 * Pipeline: ingest -> Redis Stream -> worker -> PostgreSQL, measured two ways.
 *   - Drain: the worker started on a stream pre-filled by the ingest phase; rows stored per second until the
 *     group has nothing undelivered or pending.
 *   - Sustained: with server and worker running, 100-event bodies offered at a steady rate (the drain rate
 *     measured just before, so the offered load is what the worker showed it can take) for a fixed time; events/s
 *     is accepted events divided by the time from the first request to the moment the last one is stored (the
 *     group's lag and pending both zero: the worker acknowledges only after its COMMIT). The backlog is sampled
 *     throughout; "bounded" means it stops growing while the load is steady.
 */
import { readFile } from "node:fs/promises";
import type { BenchContext } from "./context.ts";
import { type PacedResult, sendPaced } from "./paced-sender.ts";
import { USER_AGENT } from "./payloads.ts";
import { cpuSeconds } from "./procs.ts";
import { streamBacklog } from "./product.ts";

export async function countRows(ctx: BenchContext, projectId: string): Promise<number> {
  const [row] = await ctx.sql<
    Array<{ n: string }>
  >`select count(*)::text as n from events where project_id = ${projectId}`;
  return Number(row?.n ?? 0);
}

/** Polls the backlog until it is zero or `timeoutMs` passes; returns when it reached zero (or null) and samples. */
export async function waitForDrain(
  ctx: BenchContext,
  timeoutMs: number,
  samples: number[] = [],
): Promise<{ drainedAt: number | null; samples: number[] }> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { backlog } = await streamBacklog(ctx);
    samples.push(backlog);
    if (backlog === 0) return { drainedAt: performance.now(), samples };
    await Bun.sleep(100);
  }
  return { drainedAt: null, samples };
}

/**
 * Fills the stream with `requests` 100-event ingest requests (no worker running), `concurrency` at a time, as fast
 * as the server takes them; returns the events accepted. A fixed count, so the drain works on a known backlog.
 */
export async function prefillStream(options: {
  url: string;
  apiKey: string;
  bodyFile: string;
  requests: number;
  concurrency?: number;
}): Promise<number> {
  const body = await readFile(options.bodyFile, "utf8");
  const headers = { "content-type": "application/json", "x-api-key": options.apiKey, "user-agent": USER_AGENT };
  let next = 0;
  let accepted = 0;
  const lane = async () => {
    while (next < options.requests) {
      next++;
      const response = await fetch(options.url, { method: "POST", headers, body });
      const text = await response.text();
      if (response.status !== 202)
        throw new Error(`pre-fill: ingest answered ${response.status}: ${text.slice(0, 200)}`);
      accepted += (JSON.parse(text) as { accepted: number }).accepted;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, lane));
  return accepted;
}

export interface DrainResult {
  eventsPerS: number;
  events: number;
  seconds: number;
  complete: boolean;
}

/** Rows stored per second by a worker that was started (at `startedAt`) on a pre-filled stream. */
export async function measureDrain(
  ctx: BenchContext,
  projectId: string,
  rowsBefore: number,
  startedAt: number,
  timeoutMs: number,
): Promise<DrainResult> {
  const { drainedAt } = await waitForDrain(ctx, timeoutMs);
  const endedAt = drainedAt ?? performance.now();
  const events = (await countRows(ctx, projectId)) - rowsBefore;
  const seconds = (endedAt - startedAt) / 1000;
  return { eventsPerS: events / seconds, events, seconds, complete: drainedAt !== null };
}

export interface SustainedResult {
  eventsPerS: number;
  offeredEventsPerS: number;
  accepted: number;
  stored: number;
  seconds: number;
  /** Largest backlog (stream entries undelivered + pending) seen while sending. */
  maxBacklog: number;
  /** Backlog at the end of the first and second half of the sending window (growth shows an unbounded lag). */
  backlogMidway: number;
  backlogAtEnd: number;
  sender: PacedResult;
  complete: boolean;
}

export async function measureSustained(
  ctx: BenchContext,
  options: { baseUrl: string; apiKey: string; projectId: string; bodyFile: string; rate: number; durationS: number },
): Promise<SustainedResult> {
  const body = await readFile(options.bodyFile, "utf8");
  const rowsBefore = await countRows(ctx, options.projectId);
  const samples: Array<{ at: number; backlog: number }> = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({ at: performance.now(), backlog: (await streamBacklog(ctx)).backlog });
      await Bun.sleep(250);
    }
  })();
  const sender = await sendPaced({
    url: `${options.baseUrl}/api/v1/events/ingest`,
    apiKey: options.apiKey,
    userAgent: USER_AGENT,
    rate: options.rate,
    eventsPerRequest: 100,
    durationS: options.durationS,
    body: () => body,
  });
  sampling = false;
  await sampler;
  const { drainedAt } = await waitForDrain(ctx, 120_000);
  const endedAt = drainedAt ?? performance.now();
  const stored = (await countRows(ctx, options.projectId)) - rowsBefore;
  const seconds = (endedAt - sender.startedAt) / 1000;
  const mid = sender.startedAt + (sender.endedAt - sender.startedAt) / 2;
  const lastBefore = (t: number) => samples.filter((s) => s.at <= t).at(-1)?.backlog ?? 0;
  return {
    eventsPerS: stored / seconds,
    offeredEventsPerS: options.rate,
    accepted: sender.accepted,
    stored,
    seconds,
    maxBacklog: Math.max(0, ...samples.map((s) => s.backlog)),
    backlogMidway: lastBefore(mid),
    backlogAtEnd: lastBefore(sender.endedAt),
    sender,
    complete: drainedAt !== null && stored >= sender.accepted,
  };
}

/** CPU seconds used so far by the worker process and by the PostgreSQL backends serving the run's database. */
export async function pipelineCpu(ctx: BenchContext, workerPid: number): Promise<{ worker: number; postgres: number }> {
  const backends = await ctx.sql<Array<{ pid: number }>>`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  let postgres = 0;
  for (const { pid } of backends) postgres += (await cpuSeconds(pid)) ?? 0;
  return { worker: (await cpuSeconds(workerPid)) ?? 0, postgres };
}
