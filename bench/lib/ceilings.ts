/**
 * Ceilings, measured first in the same run on the same machine: what the hardware and the building blocks allow
 * before any product code runs. The product's targets are ratios to these numbers.
 *   - HTTP: bench/bare-server.ts (Bun.serve + JSON.parse, 202) driven by the same wrk, bodies and connections as
 *     the ingest phase.
 *   - XADD: pipelined XADD of the same events into the shared Redis, one entry per event and one per 100-event batch.
 *   - COPY: one COPY stream of the same (enriched) rows into a table made with `LIKE events INCLUDING ALL`, so it has
 *     every index the migrations gave `events`.
 */

import path from "node:path";
import type { Writable } from "node:stream";
import { EVENT_COLUMN_LIST, toCopyChunks, toJsonRecord } from "../../server/db/events-columns.ts";
import type { BenchContext } from "./context.ts";
import { createRandom, makeClientEvents, toRows } from "./payloads.ts";
import { freePort, spawnChild, waitForHttp } from "./procs.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

export interface HttpCeiling {
  one: WrkResult;
  hundred: WrkResult;
}

/** Writes the 1-event and 100-event ingest bodies used by every HTTP phase. */
export async function writeBodies(ctx: BenchContext): Promise<{ one: string; hundred: string }> {
  const one = path.join(ctx.dir, "body-1.json");
  const hundred = path.join(ctx.dir, "body-100.json");
  await Bun.write(one, JSON.stringify({ events: makeClientEvents(1, createRandom(1)) }));
  await Bun.write(hundred, JSON.stringify({ events: makeClientEvents(100, createRandom(100)) }));
  return { one, hundred };
}

/** wrk against the bare server at both body sizes, after a short warm-up. */
export async function measureHttpCeiling(
  ctx: BenchContext,
  bodies: { one: string; hundred: string },
): Promise<HttpCeiling> {
  const port = await freePort();
  const child = spawnChild({
    name: "bare-server",
    command: [process.execPath, "bench/bare-server.ts", String(port)],
    env: { NODE_ENV: "production" },
    logFile: path.join(ctx.dir, "bare-server.log"),
  });
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitForHttp(url, child);
    const { connections, threads, durationS } = ctx.options;
    await runWrk({ url, bodyFile: bodies.hundred, connections, threads, durationS: 1 });
    const one = await runWrk({ url, bodyFile: bodies.one, connections, threads, durationS, serverPid: child.pid });
    const hundred = await runWrk({
      url,
      bodyFile: bodies.hundred,
      connections,
      threads,
      durationS,
      serverPid: child.pid,
    });
    return { one, hundred };
  } finally {
    await child.stop();
  }
}

export interface XaddCeiling {
  /** One stream entry per event. */
  eventsPerS: number;
  /** One stream entry per 100-event batch (what an ingest request can do). */
  batchedEventsPerS: number;
}

/**
 * Pipelined XADD from this process (ioredis, the product's client) in pipelines of 1,000 commands. Entries are
 * serialised before the clock starts; the key is deleted between rounds so the shared Redis never holds more than
 * a round's worth.
 */
export async function measureXaddCeiling(ctx: BenchContext): Promise<XaddCeiling> {
  const key = `${ctx.redisPrefix}bench:xadd-ceiling`;
  const rows = toRows(Bun.randomUUIDv7(), makeClientEvents(10_000, createRandom(7)));
  // Each row as a positional array in column order, about the size of a stream entry's event.
  const tuples = rows.map((row) => Object.values(toJsonRecord(row)));
  const perEvent = tuples.map((tuple) => JSON.stringify(tuple));
  const perBatch: string[] = [];
  for (let i = 0; i < tuples.length; i += 100) perBatch.push(JSON.stringify(tuples.slice(i, i + 100)));
  const rounds = ctx.options.quick ? 5 : 15;

  const timeRounds = async (entries: string[], eventsPerEntry: number, pipelineSize: number) => {
    let elapsedMs = 0;
    let events = 0;
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      for (let i = 0; i < entries.length; i += pipelineSize) {
        const pipeline = ctx.redis.pipeline();
        for (const entry of entries.slice(i, i + pipelineSize)) pipeline.xadd(key, "*", "e", entry);
        const results = await pipeline.exec();
        const failed = results?.find(([error]) => error);
        if (failed) throw failed[0];
      }
      elapsedMs += performance.now() - started;
      events += entries.length * eventsPerEntry;
      await ctx.redis.unlink(key);
    }
    return events / (elapsedMs / 1000);
  };

  return {
    eventsPerS: await timeRounds(perEvent, 1, 1_000),
    batchedEventsPerS: await timeRounds(perBatch, 100, 20),
  };
}

/**
 * Rows per second of one COPY stream into a copy of `events` with all its indexes: the median of three runs, each
 * into a fresh table (a few seconds each, so one checkpoint or neighbour's burst cannot decide the ceiling alone).
 */
export async function measureCopyCeiling(ctx: BenchContext): Promise<{ rowsPerS: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push((await copyOnce(ctx)).rowsPerS);
  const sorted = [...runs].sort((a, b) => a - b);
  return { rowsPerS: sorted[1]!, runs };
}

async function copyOnce(ctx: BenchContext): Promise<{ rowsPerS: number; rows: number }> {
  const table = "bench_copy_ceiling";
  const count = ctx.options.quick ? 100_000 : 300_000;
  const projectId = Bun.randomUUIDv7();
  const random = createRandom(11);
  const chunks: string[] = [];
  for (let done = 0; done < count; done += 10_000) {
    chunks.push(...toCopyChunks(toRows(projectId, makeClientEvents(Math.min(10_000, count - done), random))));
  }
  await ctx.sql.unsafe(`drop table if exists ${table}`);
  await ctx.sql.unsafe(`create table ${table} (like events including all)`);
  try {
    const started = performance.now();
    const stream = (await ctx.sql.unsafe(`copy ${table} (${EVENT_COLUMN_LIST}) from stdin`).writable()) as Writable;
    for (const chunk of chunks) {
      if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once("drain", () => resolve()));
    }
    await new Promise<void>((resolve, reject) => {
      stream.once("error", reject);
      stream.end(() => resolve());
    });
    const elapsedS = (performance.now() - started) / 1000;
    const [row] = await ctx.sql.unsafe<Array<{ n: string }>>(`select count(*)::text as n from ${table}`);
    const rows = Number(row?.n ?? 0);
    if (rows !== count) throw new Error(`COPY stored ${rows} rows, expected ${count}`);
    return { rowsPerS: rows / elapsedS, rows };
  } finally {
    await ctx.sql.unsafe(`drop table if exists ${table}`);
  }
}
