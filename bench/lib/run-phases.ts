/**
 * The phases of one benchmark run (bench/run.ts puts them in order): each measures one part into the run's results
 * and records its own failure, so the rest of the run still produces numbers. What a phase leaves for later ones
 * (the running product, the account, the drain rate, the query project) is kept in the BenchRun they share.
 */

import { measureAnalyses } from "./analyses.ts";
import { type BenchAccount, createBenchAccount, createProject } from "./api.ts";
import type { BenchOptions } from "./args.ts";
import { measureCopyCeiling, measureHttpCeiling, measureXaddCeiling } from "./ceilings.ts";
import { measureCohorts } from "./cohorts.ts";
import type { BenchContext } from "./context.ts";
import { summarizeProfiles } from "./cpu-profile.ts";
import { measureFiltered } from "./filtered-queries.ts";
import { ensureBuilt, measureClientFirstLoad, measureEmbedded, measureSdkGzip } from "./footprint.ts";
import { measureIngest } from "./ingest.ts";
import { measureLive } from "./live.ts";
import { countRows, measureDrain, measureSustained, pipelineCpu, prefillStream } from "./pipeline.ts";
import { measurePrivacy } from "./privacy.ts";
import { peakRssMb } from "./procs.ts";
import { type RunningProduct, resetStream, startProduct, startWorker } from "./product.ts";
import { measureQueries, QUERY_DAYS, seedEvents } from "./queries.ts";
import type { BenchResults } from "./report.ts";
import { measureRetention } from "./retention.ts";
import { summarizeStatementLog } from "./statement-log.ts";
import { round } from "./stats.ts";

/** One run's shared state: what it measures with, what it found so far, and what the phases hand on. */
export interface BenchRun {
  ctx: BenchContext;
  options: BenchOptions;
  results: BenchResults;
  /** The request bodies of 1 and 100 events (files). */
  bodies: { one: string; hundred: string };
  product: RunningProduct | null;
  account: BenchAccount | null;
  /** The highest RSS of any worker process so far (the worker may be restarted after the drain window). */
  workerPeakMb: number | null;
  /** The worker's own drain rate, offered again by the sustained phase. */
  drainRate: number | null;
  /** The project holding the query dataset. */
  queryProjectId: string | null;
}

/** Runs one part, recording (not hiding) a failure so the rest of the run still produces numbers. */
export async function phase(ctx: BenchContext, part: string, run: () => Promise<void>): Promise<boolean> {
  ctx.log(`${part}: start`);
  try {
    await run();
    ctx.log(`${part}: done`);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.errors.push({ part, message });
    ctx.log(`${part}: FAILED: ${message}`);
    return false;
  }
}

function running(run: BenchRun): { product: RunningProduct; account: BenchAccount } {
  if (!run.product || !run.account) throw new Error("the product did not start (see product.start)");
  return { product: run.product, account: run.account };
}

/** The API server (no worker yet) and the benchmark's account and project. */
export async function startProductPhase(run: BenchRun): Promise<void> {
  await phase(run.ctx, "product.start", async () => {
    run.product = await startProduct(run.ctx, { worker: false });
    run.account = await createBenchAccount(run.product.baseUrl);
  });
}

/**
 * The query dataset, loaded before anything is measured: loading 10 M rows (and the vacuum and checkpoint after
 * it) is the heaviest thing the run does, and must not overlap any measurement.
 */
export async function loadQueryDataPhase(run: BenchRun): Promise<void> {
  await phase(run.ctx, "queries.load", async () => {
    const { account } = running(run);
    if (run.options.dataset) {
      run.queryProjectId = await adoptDataset(run);
      return;
    }
    // A project of its own: the seed is meant for a fresh project, and the counts stay exactly the seed's.
    const { projectId } = await createProject(account.client, "Benchmark queries");
    run.ctx.log(`queries.load: loading ${run.options.queryEvents.toLocaleString("en-US")} events (seed --direct)`);
    const seed = await seedEvents(run.ctx, { projectId, count: run.options.queryEvents });
    run.results.events_loaded = seed.eventsLoaded;
    run.results.seed_s = round(seed.seconds, 1);
    run.queryProjectId = projectId;
  });
}

/**
 * --dataset: the kept database's "Benchmark queries" project becomes the run's query dataset; the run's account
 * joins its team as an owner (the membership stays: the database is a scratch copy).
 */
async function adoptDataset(run: BenchRun): Promise<string> {
  const { account } = running(run);
  const [project] = await run.ctx.sql<Array<{ id: string; team_id: string }>>`
    select id, team_id from projects where name = 'Benchmark queries' order by created_at desc limit 1`;
  if (!project) throw new Error(`--dataset ${run.options.dataset}: no "Benchmark queries" project in it`);
  await run.ctx.sql`insert into team_members (team_id, user_id, role)
                    select ${project.team_id}, id, 'owner' from users where email = ${account.email}`;
  const [row] = await run.ctx.sql<Array<{ n: string }>>`
    select count(*)::text as n from events where project_id = ${project.id}`;
  run.results.events_loaded = Number(row?.n ?? 0);
  run.ctx.log(
    `queries.load: using ${run.options.dataset} (${run.results.events_loaded?.toLocaleString("en-US")} events)`,
  );
  return project.id;
}

/** HTTP, XADD and COPY ceilings, with nothing of ours busy. */
export async function measureCeilingsPhase(run: BenchRun): Promise<void> {
  const { ctx, bodies } = run;
  await phase(ctx, "ceilings.http", async () => {
    const http = await measureHttpCeiling(ctx, bodies);
    run.results.ceilings.http_req_s_1 = round(http.one.reqPerS);
    run.results.ceilings.http_p99_ms_1 = round(http.one.p99Ms, 2);
    run.results.ceilings.http_events_s_100 = round(http.hundred.reqPerS * 100);
    run.results.ceilings.http_p99_ms_100 = round(http.hundred.p99Ms, 2);
    run.results.ceilings.http_cpu_us_per_req_1 = round(http.one.serverCpuUsPerReq, 1);
    run.results.ceilings.http_cpu_us_per_req_100 = round(http.hundred.serverCpuUsPerReq, 1);
  });
  await phase(ctx, "ceilings.xadd", async () => {
    const xadd = await measureXaddCeiling(ctx);
    run.results.ceilings.xadd_events_s = round(xadd.eventsPerS);
    run.results.ceilings.xadd_batch_events_s = round(xadd.batchedEventsPerS);
  });
  await phase(ctx, "ceilings.copy", async () => {
    const copy = await measureCopyCeiling(ctx);
    run.results.ceilings.copy_rows_s = round(copy.rowsPerS);
    run.results.ceilings.copy_rows_s_runs = copy.runs.map((r) => Math.round(r));
  });
}

/** Records the worker's RSS peak so far. */
export async function noteWorkerPeak(run: BenchRun): Promise<void> {
  const worker = run.product?.worker;
  const peak = worker ? await peakRssMb(worker.pid) : null;
  if (peak !== null) run.workerPeakMb = Math.max(run.workerPeakMb ?? 0, peak);
  run.results.memory.worker_rss_mb = round(run.workerPeakMb, 1);
}

/** The API server alone under wrk. */
export async function measureIngestPhase(run: BenchRun): Promise<void> {
  const { ctx, bodies } = run;
  await phase(ctx, "ingest", async () => {
    const { product, account } = running(run);
    const ingest = await measureIngest(ctx, product.baseUrl, account.apiKey, bodies, product.server.pid);
    run.results.ingest = {
      req_s_1: round(ingest.one.reqPerS),
      p50_ms_1: round(ingest.one.p50Ms, 2),
      p99_ms_1: round(ingest.one.p99Ms, 2),
      non_2xx_1: ingest.one.non2xx + ingest.one.socketErrors,
      events_s_100: round(ingest.hundred.reqPerS * 100),
      req_s_100: round(ingest.hundred.reqPerS),
      p50_ms_100: round(ingest.hundred.p50Ms, 2),
      p99_ms_100: round(ingest.hundred.p99Ms, 2),
      non_2xx_100: ingest.hundred.non2xx + ingest.hundred.socketErrors,
      non_2xx_sample: ingest.non2xxSample,
      cpu_us_per_req_1: round(ingest.one.serverCpuUsPerReq, 1),
      cpu_us_per_req_100: round(ingest.hundred.serverCpuUsPerReq, 1),
    };
  });
}

/** The worker alone, draining a pre-filled stream for a bounded window. */
export async function measureDrainPhase(run: BenchRun): Promise<void> {
  const { ctx, options, results, bodies } = run;
  await phase(ctx, "pipeline.drain", async () => {
    const { product, account } = running(run);
    // The ingest phase's entries are discarded; the drain works on a known backlog of 100-event entries.
    await resetStream(ctx);
    const prefill = options.quick ? 1_500 : 4_000;
    const accepted = await prefillStream({
      url: `${product.baseUrl}/api/v1/events/ingest`,
      apiKey: account.apiKey,
      bodyFile: bodies.hundred,
      requests: prefill,
    });
    ctx.log(`pipeline.drain: stream pre-filled with ${accepted.toLocaleString("en-US")} events in ${prefill} entries`);
    // The clock starts once the worker has joined the group (its boot is not part of its drain rate).
    product.worker = await startWorker(ctx);
    const startedAt = performance.now();
    const rowsBefore = await countRows(ctx, account.projectId);
    const cpuBefore = await pipelineCpu(ctx, product.worker.pid);
    // A bounded window: long enough to average over many batches, short enough that a slow worker does not
    // stretch the run. What is left afterwards is discarded so the next phases start from an empty stream.
    const windowMs = (options.quick ? 10 : 30) * 1000;
    const drain = await measureDrain(ctx, account.projectId, rowsBefore, startedAt, windowMs);
    const cpuAfter = await pipelineCpu(ctx, product.worker.pid);
    results.pipeline.drain_events_s = round(drain.eventsPerS);
    results.pipeline.drain_events = drain.events;
    // Where the drain's time went: CPU of the worker and of the PostgreSQL backends of the run's database
    // (backends that connected during the window count from zero), against the wall time.
    results.pipeline.drain_cpu = {
      wall_s: round(drain.seconds, 2),
      worker_s: round(cpuAfter.worker - cpuBefore.worker, 2),
      postgres_s: round(cpuAfter.postgres - cpuBefore.postgres, 2),
    };
    run.drainRate = drain.eventsPerS;
    if (!drain.complete) {
      ctx.log(`pipeline.drain: ${drain.events} events stored in the window; discarding the rest of the backlog`);
      await noteWorkerPeak(run);
      await product.worker.stop();
      await resetStream(ctx);
      product.worker = await startWorker(ctx);
    }
  });
}

/** A worker for the phases that need one, when the drain did not leave one running. */
export async function ensureWorkerPhase(run: BenchRun): Promise<void> {
  if (!run.product || run.product.worker) return;
  await phase(run.ctx, "worker.start", async () => {
    running(run).product.worker = await startWorker(run.ctx);
  });
}

/** Server and worker together at the highest offered rate whose backlog stays bounded. */
export async function measureSustainedPhase(run: BenchRun): Promise<void> {
  const { ctx, options, results, bodies } = run;
  await phase(ctx, "pipeline.sustained", async () => {
    const { product, account } = running(run);
    const drainRate = run.drainRate;
    if (drainRate === null) throw new Error("no drain rate to offer (see pipeline.drain)");
    // First offer what the worker showed it can store alone (rounded down to whole 100-event requests per
    // second). With ingest taking its share of the cores the whole pipeline may not keep up with that; then
    // offer 90 % of what it did achieve, once, so the figure reported is a rate whose backlog stays bounded.
    let rate = Math.max(100, Math.floor(drainRate / 100) * 100);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const sustained = await measureSustained(ctx, {
        baseUrl: product.baseUrl,
        apiKey: account.apiKey,
        projectId: account.projectId,
        bodyFile: bodies.hundred,
        rate,
        durationS: options.durationS,
      });
      if (!sustained.complete) {
        throw new Error(`stored ${sustained.stored} of ${sustained.accepted} accepted events before the drain timeout`);
      }
      const bounded = sustained.backlogAtEnd - sustained.backlogMidway <= rate / 100;
      results.pipeline.attempts.push({
        offered_events_s: rate,
        events_s: round(sustained.eventsPerS),
        max_backlog: sustained.maxBacklog,
        bounded,
      });
      results.pipeline.events_s = round(sustained.eventsPerS);
      results.pipeline.offered_events_s = rate;
      results.pipeline.events = sustained.stored;
      results.pipeline.max_backlog = sustained.maxBacklog;
      results.pipeline.backlog_midway = sustained.backlogMidway;
      results.pipeline.backlog_at_end_of_load = sustained.backlogAtEnd;
      results.pipeline.non_2xx = Object.values(sustained.sender.failures).reduce((a, b) => a + b, 0);
      if (bounded) break;
      ctx.log(
        `pipeline.sustained: backlog grew at ${rate} events/s offered; retrying at 90 % of ${Math.round(sustained.eventsPerS)}`,
      );
      rate = Math.max(100, Math.floor((sustained.eventsPerS * 0.9) / 100) * 100);
    }
  });
}

/** The live feed's delay while the pipeline runs. */
export async function measureLivePhase(run: BenchRun): Promise<void> {
  const { ctx, results } = run;
  await phase(ctx, "live", async () => {
    const { product, account } = running(run);
    const live = await measureLive(ctx, {
      baseUrl: product.baseUrl,
      apiKey: account.apiKey,
      projectId: account.projectId,
      client: account.client,
    });
    results.live = {
      p50_ms: round(live.p50Ms, 1),
      p99_ms: round(live.p99Ms, 1),
      max_ms: round(live.maxMs, 1),
      samples: live.samples,
      missing: live.missing,
      rate_events_s: round(live.rateEventsPerS),
    };
  });
}

/** The analytics procedures over the query dataset. */
export async function measureQueriesPhase(run: BenchRun): Promise<void> {
  await phase(run.ctx, "queries", async () => {
    const { account } = running(run);
    if (!run.queryProjectId) throw new Error("no query dataset (see queries.load)");
    await measureQueries(run.ctx, { client: account.client, projectId: run.queryProjectId, results: run.results });
  });
}

/** Every procedure with the filter cases, next to plain SQL over a copy of the events (bench/lib/filtered-queries.ts). */
export async function measureFilteredPhase(run: BenchRun): Promise<void> {
  await phase(run.ctx, "filtered", async () => {
    const { account } = running(run);
    if (!run.queryProjectId) throw new Error("no query dataset (see queries.load)");
    await measureFiltered(run.ctx, {
      client: account.client,
      projectId: run.queryProjectId,
      results: run.results,
      only: run.options.filterCases,
    });
    const { failed, failures } = run.results.filtered.checks;
    if (failed) throw new Error(`${failed} answers differ from the baseline's, e.g. ${failures[0]}`);
  });
}

/** Funnels, retention, paths and the person timeline, next to plain SQL and a direct walk (bench/lib/analyses.ts). */
export async function measureAnalysesPhase(run: BenchRun): Promise<void> {
  await phase(run.ctx, "analyses", async () => {
    const { account } = running(run);
    if (!run.queryProjectId) throw new Error("no query dataset (see queries.load)");
    await measureAnalyses(run.ctx, {
      client: account.client,
      projectId: run.queryProjectId,
      results: run.results,
      quick: run.options.quick,
    });
    const wrong = run.results.analyses.filter((a) => a.correct === false);
    if (wrong.length)
      throw new Error(`${wrong.length} analyses differ from the baseline, e.g. ${wrong[0]!.failures[0]}`);
  });
}

/** A two-condition cohort computed and applied to overview, next to plain SQL (bench/lib/cohorts.ts). */
export async function measureCohortsPhase(run: BenchRun): Promise<void> {
  await phase(run.ctx, "cohorts", async () => {
    const { account } = running(run);
    if (!run.queryProjectId) throw new Error("no query dataset (see queries.load)");
    await measureCohorts(run.ctx, {
      client: account.client,
      projectId: run.queryProjectId,
      results: run.results,
      quick: run.options.quick,
    });
    if (run.results.cohorts.correct === false)
      throw new Error(`cohorts differ from SQL: ${run.results.cohorts.failures[0]}`);
  });
}

/** people.delete of the seed's power people, the purge and the check (bench/lib/privacy.ts); destroys them. */
export async function measurePrivacyPhase(run: BenchRun): Promise<void> {
  await phase(run.ctx, "privacy", async () => {
    const { account } = running(run);
    if (!run.queryProjectId) throw new Error("no query dataset (see queries.load)");
    await measurePrivacy(run.ctx, {
      client: account.client,
      projectId: run.queryProjectId,
      results: run.results,
      days: QUERY_DAYS,
    });
    if (run.results.privacy.correct === false)
      throw new Error(`figures after people.delete differ from SQL: ${run.results.privacy.failures[0]}`);
  });
}

/** The pipeline's lag while retention removes a month (bench/lib/retention.ts); after the parts that read the data. */
export async function measureRetentionPhase(run: BenchRun): Promise<void> {
  await phase(run.ctx, "retention", async () => {
    const { template, database, days, rate, maxS } = run.options.retention;
    const own = template === null && database === null;
    run.results.retention = await measureRetention(run.ctx, {
      template,
      database,
      days,
      rate,
      maxS,
      bodyFile: run.bodies.hundred,
      quick: run.options.quick,
      product: own ? running(run).product : null,
      projectId: own ? run.queryProjectId : null,
    });
    if (!run.results.retention.complete) throw new Error(`the removal did not finish within ${maxS} s`);
  });
}

/** Records the server's and worker's memory, then stops both. */
export async function stopProductPhase(run: BenchRun): Promise<void> {
  if (!run.product) return;
  run.results.memory.server_rss_mb = round(await peakRssMb(run.product.server.pid), 1);
  await noteWorkerPeak(run);
  run.ctx.log("stopping server and worker");
  await run.product.stop();
  run.product = null;
}

/** Prints the self time of the CPU profiles the processes wrote (--cpu-profile). */
export async function printCpuProfiles(ctx: BenchContext): Promise<void> {
  for (const { file, top } of await summarizeProfiles(ctx.dir)) {
    console.log(`\nCPU profile ${file} (self time):`);
    for (const f of top)
      console.log(`${f.selfMs.toFixed(0).padStart(8)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`);
  }
}

/** Bundle sizes and embedded mode's memory. */
export async function measureFootprintPhase(run: BenchRun): Promise<void> {
  const { ctx, results, bodies } = run;
  await phase(ctx, "footprint.bundles", async () => {
    await ensureBuilt(ctx);
    results.sdk_gzip_bytes = await measureSdkGzip();
    const client = await measureClientFirstLoad();
    results.client_js_gzip_bytes = client.bytes;
    results.client_js_files = client.files;
  });
  await phase(ctx, "footprint.embedded", async () => {
    results.memory.embedded_rss_mb = round((await measureEmbedded(ctx, bodies.hundred)).rssMb, 1);
  });
}

/** Prints where PostgreSQL's time went, by statement (--log-statements). */
export async function printStatementLog(ctx: BenchContext): Promise<void> {
  const top = (await summarizeStatementLog(ctx)).slice(0, 15);
  console.log("\nPostgreSQL time by statement (this run's database):");
  for (const s of top) {
    console.log(
      `${s.totalMs.toFixed(0).padStart(9)} ms ${String(s.calls).padStart(7)} calls ${s.meanMs.toFixed(2).padStart(9)} ms avg  ${s.statement}`,
    );
  }
}
