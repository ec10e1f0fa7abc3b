/**
 * `bun run bench` (full) and `bun run bench -- --quick`: measures the product against ceilings taken in the same
 * run on the same machine, prints one table and writes bench/results/latest.json (schema: bench/README.md).
 *
 * Order matters on a shared 2-core box: the query dataset is loaded first (the heaviest step, measured by no one),
 * then ceilings (nothing of ours busy), then the API server alone (ingest), then the worker draining a pre-filled
 * stream, then server and worker together (sustained pipeline, live feed, queries), then embedded mode. Every
 * phase is bounded in time; all traffic goes to 127.0.0.1 and the shared PostgreSQL/Redis, inside the run's own
 * database and key prefix, which are removed at the end.
 */
import { mkdir, readFile, rename } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BenchAccount, createBenchAccount, createProject } from "./lib/api.ts";
import { type BenchOptions, type Part, parseBenchArgs } from "./lib/args.ts";
import { measureCopyCeiling, measureHttpCeiling, measureXaddCeiling, writeBodies } from "./lib/ceilings.ts";
import { type BenchContext, closeBenchContext, openBenchContext } from "./lib/context.ts";
import { summarizeProfiles } from "./lib/cpu-profile.ts";
import { ensureBuilt, measureClientFirstLoad, measureEmbedded, measureSdkGzip } from "./lib/footprint.ts";
import { measureIngest } from "./lib/ingest.ts";
import { measureLive } from "./lib/live.ts";
import { countRows, measureDrain, measureSustained, pipelineCpu, prefillStream } from "./lib/pipeline.ts";
import { liveChildren, peakRssMb, REPO_ROOT, runCommand } from "./lib/procs.ts";
import { migrateEnv, type RunningProduct, resetStream, startProduct, startWorker } from "./lib/product.ts";
import { measureQueries, seedEvents } from "./lib/queries.ts";
import { type BenchResults, emptyResults, evaluateTargets, renderTable, validateResults } from "./lib/report.ts";
import { enableStatementLog, summarizeStatementLog } from "./lib/statement-log.ts";
import { round } from "./lib/stats.ts";
import { wrkPath } from "./lib/wrk.ts";

async function describeMachine(ctx: BenchContext, results: BenchResults): Promise<void> {
  const cpus = os.cpus();
  results.machine = {
    cpu_model: cpus[0]?.model.trim() ?? "unknown",
    memory_mb: Math.round(os.totalmem() / 1024 / 1024),
    os: `${os.type()} ${os.release()}`,
    load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const [pg] = await ctx.sql<Array<{ v: string }>>`select current_setting('server_version') as v`;
  const redisInfo = await ctx.redis.info("server");
  const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as { version?: string };
  // `wrk -v` prints its version and then the usage, and exits non-zero.
  const wrkProc = Bun.spawn([wrkPath(), "-v"], { stdout: "pipe", stderr: "pipe" });
  const wrkVersion = (await new Response(wrkProc.stdout).text()) + (await new Response(wrkProc.stderr).text());
  await wrkProc.exited;
  // The code measured: the commit, and whether the product's sources had uncommitted changes at the time (a copy
  // without git still runs the benchmark; it is then recorded as "unknown").
  const commit = (await runCommand(["git", "rev-parse", "--short", "HEAD"]).catch(() => "unknown")).trim();
  const dirty = (
    await runCommand(["git", "status", "--porcelain", "--", "server", "shared", "scripts", "drizzle"]).catch(() => "")
  ).trim();
  results.versions = {
    product: pkg.version ?? "unknown",
    commit: dirty ? `${commit} (plus uncommitted changes in server/shared/scripts/drizzle)` : commit,
    bun: Bun.version,
    postgres: pg?.v ?? "unknown",
    redis: redisInfo.match(/redis_version:(\S+)/)?.[1] ?? "unknown",
    wrk: wrkVersion.match(/^wrk (\S+)/m)?.[1] ?? "unknown",
  };
  results.settings = {
    product_env: ctx.options.productEnv,
    connections: ctx.options.connections,
    wrk_threads: ctx.options.threads,
    wrk_duration_s: ctx.options.durationS,
    live_rate_events_s: ctx.options.liveRate,
  };
}

/** Runs one part, recording (not hiding) a failure so the rest of the run still produces numbers. */
async function phase(ctx: BenchContext, part: string, run: () => Promise<void>): Promise<boolean> {
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

/** Set while a run holds a database and children: what an interrupt must undo before exiting. */
let interruptCleanup: (() => Promise<void>) | null = null;

function handleInterrupts() {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the product and removing the run's database and keys`);
    const children = Promise.all([...liveChildren].map((child) => child.stop(3_000)));
    children
      .then(() => interruptCleanup?.())
      .catch((error: Error) => console.error(`cleanup after ${signal} failed: ${error.message}`))
      .finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

async function runBench(options: BenchOptions, command: string): Promise<BenchResults> {
  const started = performance.now();
  const results = emptyResults(options.quick ? "quick" : "full", command, options.parts);
  const ctx = await openBenchContext(options);
  interruptCleanup = () => closeBenchContext(ctx, { keepDatabase: options.keepDatabase });
  const wants = (part: Part) => options.parts.includes(part);
  let product: RunningProduct | null = null;
  let failed = false;
  try {
    await describeMachine(ctx, results);
    ctx.log(
      `run ${ctx.runId}: database ${ctx.databaseName}, Redis prefix ${ctx.redisPrefix}, parts ${options.parts.join(", ")}`,
    );
    await runCommand([process.execPath, "server/main.ts", "migrate"], { env: migrateEnv(ctx) });
    const bodies = await writeBodies(ctx);
    if (options.logStatements) await enableStatementLog(ctx);

    const needsProduct = wants("ingest") || wants("pipeline") || wants("live") || wants("queries");
    let account: BenchAccount | null = null;
    if (needsProduct) {
      await phase(ctx, "product.start", async () => {
        product = await startProduct(ctx, { worker: false });
        account = await createBenchAccount(product.baseUrl);
      });
    }
    const running = () => {
      if (!product || !account) throw new Error("the product did not start (see product.start)");
      return { product, account };
    };

    // The query dataset is loaded before anything is measured: loading 10 M rows (and the vacuum and checkpoint
    // after it) is the heaviest thing the run does, and must not overlap any measurement.
    let queryProjectId: string | null = null;
    if (wants("queries")) {
      await phase(ctx, "queries.load", async () => {
        const { account } = running();
        // A project of its own: the seed is meant for a fresh project, and the counts stay exactly the seed's.
        const { projectId } = await createProject(account.client, "Benchmark queries");
        ctx.log(`queries.load: loading ${options.queryEvents.toLocaleString("en-US")} events (seed --direct)`);
        const seed = await seedEvents(ctx, { projectId, count: options.queryEvents });
        results.events_loaded = seed.eventsLoaded;
        results.seed_s = round(seed.seconds, 1);
        queryProjectId = projectId;
      });
    }

    if (wants("ceilings")) {
      await phase(ctx, "ceilings.http", async () => {
        const http = await measureHttpCeiling(ctx, bodies);
        results.ceilings.http_req_s_1 = round(http.one.reqPerS);
        results.ceilings.http_p99_ms_1 = round(http.one.p99Ms, 2);
        results.ceilings.http_events_s_100 = round(http.hundred.reqPerS * 100);
        results.ceilings.http_p99_ms_100 = round(http.hundred.p99Ms, 2);
        results.ceilings.http_cpu_us_per_req_1 = round(http.one.serverCpuUsPerReq, 1);
        results.ceilings.http_cpu_us_per_req_100 = round(http.hundred.serverCpuUsPerReq, 1);
      });
      await phase(ctx, "ceilings.xadd", async () => {
        const xadd = await measureXaddCeiling(ctx);
        results.ceilings.xadd_events_s = round(xadd.eventsPerS);
        results.ceilings.xadd_batch_events_s = round(xadd.batchedEventsPerS);
      });
      await phase(ctx, "ceilings.copy", async () => {
        const copy = await measureCopyCeiling(ctx);
        results.ceilings.copy_rows_s = round(copy.rowsPerS);
        results.ceilings.copy_rows_s_runs = copy.runs.map((r) => Math.round(r));
      });
    }

    // The worker may be restarted (after the drain window); its figure is the highest peak of any worker process.
    let workerPeakMb: number | null = null;
    const noteWorkerPeak = async () => {
      const worker = (product as RunningProduct | null)?.worker;
      const peak = worker ? await peakRssMb(worker.pid) : null;
      if (peak !== null) workerPeakMb = Math.max(workerPeakMb ?? 0, peak);
      results.memory.worker_rss_mb = round(workerPeakMb, 1);
    };

    let drainRate: number | null = null;
    if (wants("ingest")) {
      await phase(ctx, "ingest", async () => {
        const { product, account } = running();
        const ingest = await measureIngest(ctx, product.baseUrl, account.apiKey, bodies, product.server.pid);
        results.ingest = {
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
    if (wants("pipeline")) {
      await phase(ctx, "pipeline.drain", async () => {
        const { product, account } = running();
        // The ingest phase's entries are discarded; the drain works on a known backlog of 100-event entries.
        await resetStream(ctx);
        const prefill = options.quick ? 1_500 : 4_000;
        const accepted = await prefillStream({
          url: `${product.baseUrl}/api/v1/events/ingest`,
          apiKey: account.apiKey,
          bodyFile: bodies.hundred,
          requests: prefill,
        });
        ctx.log(
          `pipeline.drain: stream pre-filled with ${accepted.toLocaleString("en-US")} events in ${prefill} entries`,
        );
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
        drainRate = drain.eventsPerS;
        if (!drain.complete) {
          ctx.log(`pipeline.drain: ${drain.events} events stored in the window; discarding the rest of the backlog`);
          await noteWorkerPeak();
          await product.worker.stop();
          await resetStream(ctx);
          product.worker = await startWorker(ctx);
        }
      });
    }
    if (product && !(product as RunningProduct).worker && (wants("live") || wants("pipeline") || wants("queries"))) {
      await phase(ctx, "worker.start", async () => {
        running().product.worker = await startWorker(ctx);
      });
    }

    if (wants("pipeline")) {
      await phase(ctx, "pipeline.sustained", async () => {
        const { product, account } = running();
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
            throw new Error(
              `stored ${sustained.stored} of ${sustained.accepted} accepted events before the drain timeout`,
            );
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

    if (wants("live")) {
      await phase(ctx, "live", async () => {
        const { product, account } = running();
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

    await noteWorkerPeak();

    if (wants("queries")) {
      await phase(ctx, "queries", async () => {
        const { account } = running();
        if (!queryProjectId) throw new Error("no query dataset (see queries.load)");
        await measureQueries(ctx, { client: account.client, projectId: queryProjectId, results });
      });
    }

    if (product) {
      const p = product as RunningProduct;
      results.memory.server_rss_mb = round(await peakRssMb(p.server.pid), 1);
      await noteWorkerPeak();
      ctx.log("stopping server and worker");
      await p.stop();
      product = null;
    }

    if (options.cpuProfile) {
      for (const { file, top } of await summarizeProfiles(ctx.dir)) {
        console.log(`\nCPU profile ${file} (self time):`);
        for (const f of top)
          console.log(`${f.selfMs.toFixed(0).padStart(8)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`);
      }
    }

    if (wants("footprint")) {
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
    if (options.logStatements) {
      const top = (await summarizeStatementLog(ctx)).slice(0, 15);
      console.log("\nPostgreSQL time by statement (this run's database):");
      for (const s of top) {
        console.log(
          `${s.totalMs.toFixed(0).padStart(9)} ms ${String(s.calls).padStart(7)} calls ${s.meanMs.toFixed(2).padStart(9)} ms avg  ${s.statement}`,
        );
      }
    }
  } catch (error) {
    failed = true;
    ctx.errors.push({ part: "run", message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    if (product) await (product as RunningProduct).stop();
    results.errors = ctx.errors;
    results.duration_s = round((performance.now() - started) / 1000, 1);
    // Keep the scratch folder (process logs) when something failed, so it can be read.
    const keepDir = options.keepLogs || options.cpuProfile || failed || ctx.errors.length > 0;
    if (keepDir) ctx.log(`process logs kept in ${ctx.dir}`);
    ctx.log("removing the run's database and Redis keys");
    interruptCleanup = null;
    await closeBenchContext(ctx, { keepDatabase: options.keepDatabase, keepDir });
  }
  return results;
}

async function writeResults(file: string, results: BenchResults): Promise<void> {
  const target = path.resolve(REPO_ROOT, file);
  await mkdir(path.dirname(target), { recursive: true });
  // Write then rename, so a reader never sees half a file.
  await Bun.write(`${target}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  await rename(`${target}.tmp`, target);
}

async function main() {
  const argv = process.argv.slice(2);
  let options: BenchOptions;
  try {
    const parsed = parseBenchArgs(argv);
    if ("help" in parsed) {
      console.log(parsed.help);
      return;
    }
    options = parsed;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  handleInterrupts();
  const command = ["bun run bench", ...(argv.length ? ["--", ...argv] : [])].join(" ");
  const results = await runBench(options, command);
  evaluateTargets(results);
  await writeResults(options.out, results);
  console.log(`\n${renderTable(results)}`);
  console.log(`results: ${options.out}`);
  const problems = validateResults(results);
  for (const problem of problems) console.error(`results problem: ${problem}`);
  for (const error of results.errors) console.error(`error in ${error.part}: ${error.message}`);
  // Exit explicitly: a keep-alive socket left by fetch must not hold the command open after the report.
  process.exit(problems.length || results.errors.length ? 1 : 0);
}

await main();
