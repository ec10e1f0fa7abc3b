/**
 * The retention part (`--only retention`): the pipeline's lag while the worker's retention removes a month of a
 * 10 M-event project, with ingest offered at a steady 5,000 events/s. Issue target: lag p99 <= 5 s.
 *
 * Data: with `--retention-template <db>` a copy of that database (`CREATE DATABASE ... TEMPLATE`, e.g. a kept
 * 10 M-event bench database) on the same server, migrated, with its own server and worker started against it and
 * its own Redis prefix (`<run prefix>ret:`), dropped at the end; the project is the one with the most events.
 * With `--retention-database <db>` that database itself, cut in place and kept (a copy made for the purpose: a
 * second run with fewer `--retention-days` removes the next month). Without either, the run's own query dataset (the `queries.load` phase) and the running product; the part then runs
 * after every query part, since it removes data they read.
 *
 * Steps: the project gets a fresh ingest key (written to its row, so the sender posts into the very project being
 * cut: ingest and retention take its write lock in turn); 100-event bodies are offered by the open-loop sender
 * (paced-sender.ts) at `--retention-rate`; after `BASELINE_S` of load alone `retention_days` is set to
 * `--retention-days` (60 on 90 days of data: the oldest month falls outside; set in SQL, as the API takes 30, 90,
 * ...) and the worker's maintenance loop removes the rest in its batches (server/pipeline/retention). The load goes
 * on until nothing older than the horizon is left (events and segments), at most `--retention-max` seconds.
 *
 * Lag, sampled every 250 ms: the age in seconds of the oldest stream entry not yet stored, i.e. the smallest id
 * among the group's pending entries (delivered, not acknowledged: the worker acknowledges after COMMIT) and the
 * first undelivered one, against Redis's clock (an entry id is its XADD time, before the 202), so it bounds the time
 * from 202 to stored of every event in flight; 0 when the group has nothing. The backlog in entries (lag + pending)
 * is recorded beside it. p50/p99/max are over the samples taken while the removal ran.
 */
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { generateApiKey } from "../../server/auth/api-keys.ts";
import { retentionHorizon } from "../../shared/projects.ts";
import type { BenchContext } from "./context.ts";
import { sendPaced } from "./paced-sender.ts";
import { USER_AGENT } from "./payloads.ts";
import { runCommand } from "./procs.ts";
import { migrateEnv, type RunningProduct, startProduct, streamBacklog, streamKey, toRecord } from "./product.ts";
import { round } from "./stats.ts";

const GROUP = "event_workers";
const SAMPLE_MS = 250;

export interface RetentionResult {
  template: string | null;
  /** The database cut in place (--retention-database), or null. */
  database: string | null;
  retention_days: number;
  offered_events_s: number;
  accepted_events: number;
  non_2xx: number;
  behind: number;
  removed_events: number;
  removal_s: number;
  removal_events_s: number;
  complete: boolean;
  /** Lag (s, see the header) while the removal ran, and with ingest alone before it. */
  lag_p50_s: number;
  lag_p99_s: number;
  lag_max_s: number;
  baseline_lag_p99_s: number;
  backlog_p99_entries: number;
  samples: number;
  /** The worker's retention batches for the project (from its log): how many, and how long each held the lock. */
  batches: number;
  batch_ms_p50: number;
  batch_ms_p99: number;
  batch_ms_max: number;
  /** After the pass: nothing older than the horizon in events, sessions or users (with events). */
  tables_cut_at_horizon: boolean;
  load_average: number[];
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const idMs = (id: string) => Number(id.split("-")[0]);

/** The `ms` of every retention batch of `projectId` the workers logged in the run's scratch folder. */
async function batchTimes(dir: string, projectId: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith("worker-")) continue;
    for (const line of (await Bun.file(path.join(dir, name)).text()).split("\n")) {
      if (!line.includes("retention: removed data") || !line.includes(projectId)) continue;
      const ms = (JSON.parse(line) as { ms?: number }).ms;
      if (typeof ms === "number") out.push(ms);
    }
  }
  return out;
}

/** The age (ms) of the oldest entry of the group not yet acknowledged, 0 when there is none (see the header). */
export async function oldestUnstoredMs(ctx: BenchContext): Promise<number> {
  const key = streamKey(ctx);
  const [groups, pending, time] = await Promise.all([
    ctx.redis.xinfo("GROUPS", key) as Promise<unknown[][]>,
    ctx.redis.xpending(key, GROUP) as Promise<[number, string | null, string | null, unknown]>,
    ctx.redis.time(),
  ]);
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const group = groups.map(toRecord).find((g) => g.name === GROUP);
  let oldest = Number.POSITIVE_INFINITY;
  if (pending?.[1]) oldest = idMs(pending[1]);
  const lastDelivered = String(group?.["last-delivered-id"] ?? "0-0");
  const next = (await ctx.redis.xrange(key, `(${lastDelivered}`, "+", "COUNT", 1)) as Array<[string, string[]]>;
  if (next[0]) oldest = Math.min(oldest, idMs(next[0][0]));
  return Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0;
}

/** The copy's context: its database and connection, the run's scratch folder, a Redis prefix of its own. */
async function copyContext(
  ctx: BenchContext,
  source: { template: string } | { database: string },
): Promise<BenchContext> {
  const name = "database" in source ? source.database : `${ctx.databaseName}_ret`;
  if ("template" in source) {
    const admin = postgres(ctx.options.postgresUrl, { max: 1, onnotice: () => {} });
    try {
      ctx.log(`retention: copying ${source.template} into ${name}`);
      await admin.unsafe(`create database "${name}" template "${source.template}"`);
    } finally {
      await admin.end();
    }
  }
  const url = new URL(ctx.options.postgresUrl);
  url.pathname = `/${name}`;
  const copy: BenchContext = {
    ...ctx,
    databaseName: name,
    databaseUrl: url.toString(),
    redisPrefix: `${ctx.redisPrefix}ret:`,
    sql: postgres(url.toString(), { max: 4, onnotice: () => {} }),
  };
  await runCommand([process.execPath, "server/main.ts", "migrate"], { env: migrateEnv(copy) });
  return copy;
}

async function dropCopy(ctx: BenchContext, copy: BenchContext): Promise<void> {
  await copy.sql.end({ timeout: 5 });
  const admin = postgres(ctx.options.postgresUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${copy.databaseName}" with (force)`);
  } finally {
    await admin.end();
  }
}

/**
 * Measures the lag while retention removes the oldest month (see the header). `product` and `projectId`: the
 * running product and the query project, used when no template is given.
 */
export async function measureRetention(
  ctx: BenchContext,
  options: {
    template: string | null;
    database: string | null;
    days: number;
    rate: number;
    maxS: number;
    bodyFile: string;
    /** --quick: 3 s of load alone before the removal, the rest in 2 s pieces (10 s and 5 s otherwise). */
    quick: boolean;
    product: RunningProduct | null;
    projectId: string | null;
  },
): Promise<RetentionResult> {
  const source = options.database
    ? { database: options.database }
    : options.template
      ? { template: options.template }
      : null;
  const copy = source ? await copyContext(ctx, source) : null;
  const c = copy ?? ctx;
  const [BASELINE_S, CHUNK_S] = options.quick ? [3, 2] : [10, 5];
  let product = copy ? null : options.product;
  try {
    let projectId = options.projectId;
    if (copy) {
      const [top] = await c.sql<Array<{ id: string }>>`
        select project_id::text as id from analytics_rollups where dimension = 'all' and size = 1440
         group by project_id order by sum(events) desc limit 1`;
      projectId = top?.id ?? null;
    }
    if (!projectId) throw new Error("retention: no project with events to cut");
    const key = generateApiKey();
    await c.sql`update projects set api_key_hash = ${key.apiKeyHash}, api_key_prefix = ${key.apiKeyPrefix},
                  retention_days = null where id = ${projectId}`;
    if (!product) {
      product = await startProduct(c);
      ctx.log(`retention: server and worker on ${c.databaseName} at ${product.baseUrl}`);
    }
    const horizon = new Date(retentionHorizon(Date.now(), options.days)).toISOString();
    const [before] = await c.sql<Array<{ n: string; state: string | null }>>`
      select (select count(*) from events where project_id = ${projectId} and "timestamp" < ${horizon})::text as n,
             (select status from analytics_engine_state where project_id = ${projectId}) as state`;
    if (before?.state && before.state !== "ready")
      throw new Error(`retention: the engine is still '${before.state}' for the project (backfill first)`);
    const toRemove = Number(before?.n ?? 0);
    ctx.log(`retention: ${toRemove.toLocaleString("en-US")} events of ${projectId} are older than ${horizon}`);

    const samples: Array<{ at: number; lagMs: number; backlog: number }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = performance.now();
        const [lagMs, { backlog }] = await Promise.all([oldestUnstoredMs(c), streamBacklog(c)]);
        samples.push({ at, lagMs, backlog });
        await Bun.sleep(Math.max(0, SAMPLE_MS - (performance.now() - at)));
      }
    })();
    const body = await Bun.file(options.bodyFile).text();
    let accepted = 0;
    let nonOk = 0;
    let behind = 0;
    const send = async (seconds: number) => {
      const sent = await sendPaced({
        url: `${product!.baseUrl}/api/v1/events/ingest`,
        apiKey: key.apiKey,
        userAgent: USER_AGENT,
        rate: options.rate,
        eventsPerRequest: 100,
        durationS: seconds,
        body: () => body,
      });
      accepted += sent.accepted;
      nonOk += Object.values(sent.failures).reduce((a, b) => a + b, 0);
      behind += sent.behind;
    };
    await send(BASELINE_S);
    const startedAt = performance.now();
    await c.sql`update projects set retention_days = ${options.days}, keep_aggregates_past_retention = false
                 where id = ${projectId}`;
    ctx.log(`retention: retention_days = ${options.days} set; removing while ${options.rate} events/s are offered`);
    let done = false;
    let doneAt = startedAt;
    const left = async () => {
      const [row] = await c.sql<Array<{ left: boolean }>>`
        select exists (select 1 from events where project_id = ${projectId} and "timestamp" < ${horizon})
            or exists (select 1 from analytics_segments where project_id = ${projectId} and min_ts < ${horizon})
            as left`;
      return row?.left ?? true;
    };
    while (!done && performance.now() - startedAt < options.maxS * 1000) {
      await send(CHUNK_S);
      done = !(await left());
      doneAt = performance.now();
      if (!done) ctx.log(`retention: still removing after ${Math.round((doneAt - startedAt) / 1000)} s`);
    }
    sampling = false;
    await sampler;
    const during = samples.filter((s) => s.at >= startedAt && s.at <= doneAt);
    const baseline = samples.filter((s) => s.at < startedAt);
    const [after] = await c.sql<Array<{ n: string; cut: boolean }>>`
      select (select count(*) from events where project_id = ${projectId} and "timestamp" < ${horizon})::text as n,
             not exists (select 1 from analytics_sessions where project_id = ${projectId} and first_seen < ${horizon})
             and not exists (select 1 from analytics_users where project_id = ${projectId} and event_count > 0
                               and first_seen < ${horizon}) as cut`;
    const removed = toRemove - Number(after?.n ?? 0);
    const batches = await batchTimes(ctx.dir, projectId);
    const seconds = (doneAt - startedAt) / 1000;
    return {
      template: options.template,
      database: options.database,
      retention_days: options.days,
      offered_events_s: options.rate,
      accepted_events: accepted,
      non_2xx: nonOk,
      behind,
      removed_events: removed,
      removal_s: round(seconds, 1)!,
      removal_events_s: Math.round(removed / Math.max(seconds, 0.001)),
      complete: done,
      lag_p50_s: round(
        percentile(
          during.map((s) => s.lagMs),
          50,
        ) / 1000,
        2,
      )!,
      lag_p99_s: round(
        percentile(
          during.map((s) => s.lagMs),
          99,
        ) / 1000,
        2,
      )!,
      lag_max_s: round(Math.max(0, ...during.map((s) => s.lagMs)) / 1000, 2)!,
      baseline_lag_p99_s: round(
        percentile(
          baseline.map((s) => s.lagMs),
          99,
        ) / 1000,
        2,
      )!,
      backlog_p99_entries: percentile(
        during.map((s) => s.backlog),
        99,
      ),
      samples: during.length,
      batches: batches.length,
      batch_ms_p50: percentile(batches, 50),
      batch_ms_p99: percentile(batches, 99),
      batch_ms_max: Math.max(0, ...batches),
      tables_cut_at_horizon: Boolean(after?.cut) && Number(after?.n ?? 1) === 0,
      load_average: os.loadavg().map((l) => Math.round(l * 100) / 100),
    };
  } finally {
    if (copy) {
      await product?.stop();
      if (options.database) await copy.sql.end({ timeout: 5 });
      else await dropCopy(ctx, copy);
    }
  }
}
