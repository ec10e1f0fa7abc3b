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
import { type BenchOptions, type Part, parseBenchArgs } from "./lib/args.ts";
import { writeBodies } from "./lib/ceilings.ts";
import { type BenchContext, closeBenchContext, openBenchContext } from "./lib/context.ts";
import { liveChildren, REPO_ROOT, runCommand, setPortRange } from "./lib/procs.ts";
import { migrateEnv } from "./lib/product.ts";
import { type BenchResults, emptyResults, evaluateTargets, renderTable, validateResults } from "./lib/report.ts";
import {
  type BenchRun,
  ensureWorkerPhase,
  loadQueryDataPhase,
  measureAnalysesPhase,
  measureCeilingsPhase,
  measureCohortsPhase,
  measureDrainPhase,
  measureFilteredPhase,
  measureFootprintPhase,
  measureIngestPhase,
  measureLivePhase,
  measurePrivacyPhase,
  measureQueriesPhase,
  measureRetentionPhase,
  measureSustainedPhase,
  noteWorkerPeak,
  printCpuProfiles,
  printStatementLog,
  startProductPhase,
  stopProductPhase,
} from "./lib/run-phases.ts";
import { enableStatementLog } from "./lib/statement-log.ts";
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
  let run: BenchRun | null = null;
  let failed = false;
  try {
    await describeMachine(ctx, results);
    ctx.log(
      `run ${ctx.runId}: database ${ctx.databaseName}, Redis prefix ${ctx.redisPrefix}, parts ${options.parts.join(", ")}`,
    );
    await runCommand([process.execPath, "server/main.ts", "migrate"], { env: migrateEnv(ctx) });
    const bodies = await writeBodies(ctx);
    if (options.logStatements) await enableStatementLog(ctx);
    run = {
      ctx,
      options,
      results,
      bodies,
      product: null,
      account: null,
      workerPeakMb: null,
      drainRate: null,
      queryProjectId: null,
    };

    // The retention part cuts the query dataset unless it copies a template: it then runs after every reader.
    const queryData =
      wants("queries") ||
      wants("filtered") ||
      wants("analyses") ||
      wants("cohorts") ||
      wants("privacy") ||
      (wants("retention") && !options.retention.template && !options.retention.database);
    if (wants("ingest") || wants("pipeline") || wants("live") || queryData) await startProductPhase(run);
    if (queryData) await loadQueryDataPhase(run);
    if (wants("ceilings")) await measureCeilingsPhase(run);
    if (wants("ingest")) await measureIngestPhase(run);
    if (wants("pipeline")) await measureDrainPhase(run);
    if (wants("live") || wants("pipeline") || queryData) await ensureWorkerPhase(run);
    if (wants("pipeline")) await measureSustainedPhase(run);
    if (wants("live")) await measureLivePhase(run);
    await noteWorkerPeak(run);
    if (wants("queries")) await measureQueriesPhase(run);
    if (wants("filtered")) await measureFilteredPhase(run);
    if (wants("analyses")) await measureAnalysesPhase(run);
    if (wants("cohorts")) await measureCohortsPhase(run);
    // Destructive (deletes the seed's power people): after every part that reads the dataset as seeded.
    if (wants("privacy")) await measurePrivacyPhase(run);
    if (wants("retention")) await measureRetentionPhase(run);
    await stopProductPhase(run);
    if (options.cpuProfile) await printCpuProfiles(ctx);
    if (wants("footprint")) await measureFootprintPhase(run);
    if (options.logStatements) await printStatementLog(ctx);
  } catch (error) {
    failed = true;
    ctx.errors.push({ part: "run", message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    if (run?.product) await run.product.stop();
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
  setPortRange(options.ports);
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
