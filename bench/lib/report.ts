/**
 * The results file (bench/results/latest.json) and the printed table. The schema is documented in
 * bench/README.md; `validateResults` checks the keys the benchmark issue requires, for the smoke test.
 */
import { PARTS, type Part } from "./args.ts";
import type { RetentionResult } from "./retention.ts";

export const PROCEDURES = ["overview", "timeseries", "topEvents", "breakdown", "sessions", "users"] as const;
export const PERIODS = ["24h", "7d", "30d", "90d"] as const;
export type Procedure = (typeof PROCEDURES)[number];
export type Period = (typeof PERIODS)[number];

export type Num = number | null;

/** The filtered part's ranges (the issue's targets are set on 30 and 90 days). */
export const FILTERED_PERIODS = ["30d", "90d"] as const;
export type FilteredPeriod = (typeof FILTERED_PERIODS)[number];

/** One procedure of one filter case over one range, next to the plain-SQL baseline. */
export interface FilteredTiming {
  p50_ms: Num;
  p95_ms: Num;
  samples: number;
  failed_calls: number;
  /** The baseline's statements over `bench_events_baseline` (fastest of two runs when under 2 s). */
  baseline_ms: Num;
  /** baseline_ms / p95_ms: how many times faster ours is. */
  speedup: Num;
  /** Our answer equals the baseline's (null: not checked, see error). */
  correct: boolean | null;
  /** Why the cell has no figure (e.g. an op the API or a reader does not accept yet). */
  error: string | null;
}

export interface FilteredCaseResult {
  id: string;
  label: string;
  filters: unknown[];
  /** "trpc": through the API; "direct": the same readers called in the bench process (op not accepted yet). */
  via: "trpc" | "direct";
  periods: Partial<Record<FilteredPeriod, Record<Procedure, FilteredTiming>>>;
}

export interface QueryTiming {
  p50_ms: Num;
  p95_ms: Num;
  samples: number;
  /** Calls (warm-up included) that got no answer: 30 s timeout or connection closed; timed ones count as lower bounds. */
  failed_calls: number;
  /** Result matched SQL over the raw events (null: not checked). */
  correct: boolean | null;
}

/** One case of the analyses part. */
export interface AnalysisResult {
  id: string;
  label: string;
  target_ms: number;
  p50_ms: Num;
  p95_ms: Num;
  samples: number;
  baseline_ms: Num;
  /** The baseline's time over our p95. */
  ratio: Num;
  correct: boolean | null;
  failures: string[];
}

/** One timed call of the cohorts part (bench/lib/cohorts.ts). */
export interface CohortTiming {
  p50_ms: Num;
  p95_ms: Num;
  samples: number;
}

/** The cohorts part (bench/lib/cohorts.ts): a two-condition cohort over 30 days, computed and applied to overview. */
export interface CohortsResult {
  members: Num;
  compute_fresh: CohortTiming;
  compute_shared: CohortTiming;
  overview_filtered: CohortTiming;
  baseline_ms: Num;
  correct: boolean | null;
  failures: string[];
}

/** The privacy part (bench/lib/privacy.ts): people.delete of the seed's power people, the purge, the check. */
export interface PrivacyResult {
  people: Array<{ distinct_id: string; events: number; ids: number; ms: Num }>;
  delete_p50_ms: Num;
  delete_p95_ms: Num;
  delete_max_ms: Num;
  /** From the last deletion until no segment holds a deleted slot (the worker's maintenance loop). */
  purge_s: Num;
  correct: boolean | null;
  failures: string[];
}

export interface BenchResults {
  schema_version: 1;
  date: string;
  mode: "full" | "quick";
  command: string;
  /** The parts this run measured (all of them unless --only/--skip); figures of other parts stay null. */
  parts: Part[];
  duration_s: Num;
  cores: number;
  machine: { cpu_model: string; memory_mb: number; os: string; load_average_at_start: number[] };
  versions: Record<string, string>;
  settings: {
    /** Environment added with --env (empty in a standard run). */
    product_env: Record<string, string>;
    connections: number;
    wrk_threads: number;
    wrk_duration_s: number;
    live_rate_events_s: number;
  };
  ceilings: {
    http_req_s_1: Num;
    http_p99_ms_1: Num;
    http_events_s_100: Num;
    http_p99_ms_100: Num;
    /** CPU of the bare server process per request (user + system), robust to other load on the machine. */
    http_cpu_us_per_req_1: Num;
    http_cpu_us_per_req_100: Num;
    xadd_events_s: Num;
    xadd_batch_events_s: Num;
    copy_rows_s: Num;
    /** The three COPY runs; copy_rows_s is their median. */
    copy_rows_s_runs: number[];
  };
  ingest: {
    req_s_1: Num;
    p50_ms_1: Num;
    p99_ms_1: Num;
    non_2xx_1: Num;
    events_s_100: Num;
    req_s_100: Num;
    p50_ms_100: Num;
    p99_ms_100: Num;
    non_2xx_100: Num;
    /** An answer fetched right after a run with non-2xx answers, to say what they were. */
    non_2xx_sample: string | null;
    /** CPU of the API server process per request; compare with ceilings.http_cpu_us_per_req_*. */
    cpu_us_per_req_1: Num;
    cpu_us_per_req_100: Num;
  };
  pipeline: {
    events_s: Num;
    offered_events_s: Num;
    events: Num;
    max_backlog: Num;
    backlog_midway: Num;
    backlog_at_end_of_load: Num;
    drain_events_s: Num;
    drain_events: Num;
    /** CPU seconds of the worker and of PostgreSQL's backends during the drain, next to its wall time. */
    drain_cpu: { wall_s: Num; worker_s: Num; postgres_s: Num };
    non_2xx: Num;
    /** Each offered rate tried (the last one is reported above). */
    attempts: Array<{ offered_events_s: number; events_s: Num; max_backlog: number; bounded: boolean }>;
  };
  live: { p50_ms: Num; p99_ms: Num; max_ms: Num; samples: Num; missing: Num; rate_events_s: Num };
  queries: Record<string, Record<string, QueryTiming>>;
  query_checks: { passed: number; failed: number; failures: string[] };
  /** The filtered part (bench/lib/filtered-queries.ts). */
  filtered: {
    baseline_rows: Num;
    baseline_setup_s: Num;
    distinct_paths: Num;
    distinct_order_ids: Num;
    cases: FilteredCaseResult[];
    checks: { passed: number; failed: number; failures: string[] };
  };
  /** The analyses part (bench/lib/analyses.ts): funnels, retention, paths, the person timeline. */
  analyses: AnalysisResult[];
  cohorts: CohortsResult;
  privacy: PrivacyResult;
  /** The retention part (bench/lib/retention.ts): the pipeline's lag while a month is removed; null: not run. */
  retention: RetentionResult | null;
  memory: { server_rss_mb: Num; worker_rss_mb: Num; embedded_rss_mb: Num };
  sdk_gzip_bytes: Num;
  client_js_gzip_bytes: Num;
  client_js_files: string[];
  events_loaded: Num;
  seed_s: Num;
  /** Product figure divided by its ceiling (the issue's targets are on these). */
  ratios: {
    ingest_req_s_1_vs_http: Num;
    ingest_events_s_100_vs_http: Num;
    pipeline_vs_copy: Num;
  };
  /** Each target of the issue: met, missed, or null when a figure is missing. */
  targets: Record<string, boolean | null>;
  errors: Array<{ part: string; message: string }>;
}

export function emptyResults(mode: "full" | "quick", command: string, parts: Part[]): BenchResults {
  const queries: BenchResults["queries"] = {};
  for (const procedure of PROCEDURES) {
    queries[procedure] = {};
    for (const period of PERIODS)
      queries[procedure]![period] = { p50_ms: null, p95_ms: null, samples: 0, failed_calls: 0, correct: null };
  }
  return {
    schema_version: 1,
    date: new Date().toISOString(),
    mode,
    command,
    parts,
    duration_s: null,
    cores: navigator.hardwareConcurrency,
    machine: { cpu_model: "", memory_mb: 0, os: "", load_average_at_start: [] },
    versions: {},
    settings: { product_env: {}, connections: 0, wrk_threads: 0, wrk_duration_s: 0, live_rate_events_s: 0 },
    ceilings: {
      http_req_s_1: null,
      http_p99_ms_1: null,
      http_events_s_100: null,
      http_p99_ms_100: null,
      http_cpu_us_per_req_1: null,
      http_cpu_us_per_req_100: null,
      xadd_events_s: null,
      xadd_batch_events_s: null,
      copy_rows_s: null,
      copy_rows_s_runs: [],
    },
    ingest: {
      req_s_1: null,
      p50_ms_1: null,
      p99_ms_1: null,
      non_2xx_1: null,
      events_s_100: null,
      req_s_100: null,
      p50_ms_100: null,
      p99_ms_100: null,
      non_2xx_100: null,
      non_2xx_sample: null,
      cpu_us_per_req_1: null,
      cpu_us_per_req_100: null,
    },
    pipeline: {
      events_s: null,
      offered_events_s: null,
      events: null,
      max_backlog: null,
      backlog_midway: null,
      backlog_at_end_of_load: null,
      drain_events_s: null,
      drain_events: null,
      drain_cpu: { wall_s: null, worker_s: null, postgres_s: null },
      non_2xx: null,
      attempts: [],
    },
    live: { p50_ms: null, p99_ms: null, max_ms: null, samples: null, missing: null, rate_events_s: null },
    queries,
    query_checks: { passed: 0, failed: 0, failures: [] },
    filtered: {
      baseline_rows: null,
      baseline_setup_s: null,
      distinct_paths: null,
      distinct_order_ids: null,
      cases: [],
      checks: { passed: 0, failed: 0, failures: [] },
    },
    analyses: [],
    cohorts: {
      members: null,
      compute_fresh: { p50_ms: null, p95_ms: null, samples: 0 },
      compute_shared: { p50_ms: null, p95_ms: null, samples: 0 },
      overview_filtered: { p50_ms: null, p95_ms: null, samples: 0 },
      baseline_ms: null,
      correct: null,
      failures: [],
    },
    privacy: {
      people: [],
      delete_p50_ms: null,
      delete_p95_ms: null,
      delete_max_ms: null,
      purge_s: null,
      correct: null,
      failures: [],
    },
    retention: null,
    memory: { server_rss_mb: null, worker_rss_mb: null, embedded_rss_mb: null },
    sdk_gzip_bytes: null,
    client_js_gzip_bytes: null,
    client_js_files: [],
    events_loaded: null,
    seed_s: null,
    ratios: { ingest_req_s_1_vs_http: null, ingest_events_s_100_vs_http: null, pipeline_vs_copy: null },
    targets: {},
    errors: [],
  };
}

const ratio = (a: Num, b: Num) => (a !== null && b !== null && b > 0 ? Math.round((a / b) * 1000) / 1000 : null);
const check = (value: Num, test: (v: number) => boolean) => (value === null ? null : test(value));

/** Fills `ratios` and `targets` from the measured figures (the issue's target table). */
export function evaluateTargets(r: BenchResults): void {
  r.ratios = {
    ingest_req_s_1_vs_http: ratio(r.ingest.req_s_1, r.ceilings.http_req_s_1),
    ingest_events_s_100_vs_http: ratio(r.ingest.events_s_100, r.ceilings.http_events_s_100),
    pipeline_vs_copy: ratio(r.pipeline.events_s, r.ceilings.copy_rows_s),
  };
  const slowest = (periods: Period[], key: "p95_ms") => {
    let worst: Num = null;
    for (const procedure of PROCEDURES) {
      for (const period of periods) {
        const v = r.queries[procedure]?.[period]?.[key] ?? null;
        if (v === null) return null;
        worst = worst === null ? v : Math.max(worst, v);
      }
    }
    return worst;
  };
  const filteredCells = (r.filtered?.cases ?? []).flatMap((c) =>
    FILTERED_PERIODS.flatMap((period) =>
      PROCEDURES.map((procedure) => ({ period, cell: c.periods[period]?.[procedure] ?? null })),
    ),
  );
  // A cell without a figure counts as missed, unless the op is not accepted yet (BAD_REQUEST, or a reader's raw SQL
  // without it): a timeout is a miss.
  const refused = (error: string | null | undefined) => !!error && /BAD_REQUEST|unknown filter op/.test(error);
  const filteredWorst = (period: FilteredPeriod): Num => {
    const cells = filteredCells.filter(
      (c) => c.period === period && !(c.cell?.p95_ms == null && refused(c.cell?.error)),
    );
    if (cells.length === 0) return null;
    return Math.max(...cells.map((c) => c.cell?.p95_ms ?? Number.POSITIVE_INFINITY));
  };
  const slowBaselines = filteredCells.filter((c) => c.cell?.baseline_ms != null && c.cell.baseline_ms > 1_000);
  const allCorrect = PROCEDURES.every((p) => PERIODS.every((q) => r.queries[p]?.[q]?.correct === true));
  r.targets = {
    "ingest_100: >= 35% of bare events/s": check(r.ratios.ingest_events_s_100_vs_http, (v) => v >= 0.35),
    "ingest_1: >= 50% of bare req/s": check(r.ratios.ingest_req_s_1_vs_http, (v) => v >= 0.5),
    "ingest_1: p99 < 10 ms": check(r.ingest.p99_ms_1, (v) => v < 10),
    "ingest: no non-2xx": check(
      r.ingest.non_2xx_1 === null || r.ingest.non_2xx_100 === null ? null : r.ingest.non_2xx_1 + r.ingest.non_2xx_100,
      (v) => v === 0,
    ),
    "pipeline: >= 60% of COPY rows/s": check(r.ratios.pipeline_vs_copy, (v) => v >= 0.6),
    "pipeline: backlog bounded": check(
      r.pipeline.backlog_at_end_of_load === null || r.pipeline.backlog_midway === null
        ? null
        : r.pipeline.backlog_at_end_of_load - r.pipeline.backlog_midway,
      // Bounded: through the second half of the steady load the backlog grew by no more than one second's worth
      // of the offered entries (rate / 100 entries of 100 events).
      (growth) => growth <= (r.pipeline.offered_events_s ?? 0) / 100,
    ),
    "live: p99 < 500 ms at 5,000 events/s": check(r.live.p99_ms, (v) => v < 500),
    "queries: p95 < 100 ms up to 30 days": check(slowest(["24h", "7d", "30d"], "p95_ms"), (v) => v < 100),
    "queries: p95 < 250 ms over 90 days": check(slowest(["90d"], "p95_ms"), (v) => v < 250),
    "queries: every result matches SQL": r.query_checks.passed + r.query_checks.failed === 0 ? null : allCorrect,
    "filtered: p95 < 250 ms over 30 days (10 M events)": check(filteredWorst("30d"), (v) => v < 250),
    "filtered: p95 < 1 s over 90 days (10 M events)": check(filteredWorst("90d"), (v) => v < 1_000),
    "filtered: >= 10x the baseline where it takes > 1 s":
      slowBaselines.length === 0 ? null : slowBaselines.every((c) => (c.cell!.speedup ?? 0) >= 10),
    "filtered: every answer equals the baseline's":
      !r.filtered || r.filtered.checks.passed + r.filtered.checks.failed === 0 ? null : r.filtered.checks.failed === 0,
    ...Object.fromEntries(
      (r.analyses ?? []).flatMap((a) => [
        [`analyses: ${a.label} p95 < ${a.target_ms} ms (10 M events)`, check(a.p95_ms, (v) => v < a.target_ms)],
        [`analyses: ${a.label} equals the baseline's`, a.correct],
      ]),
    ),
    "cohorts: p95 < 300 ms at 10 M (compute)": check(r.cohorts?.compute_fresh.p95_ms ?? null, (v) => v < 300),
    "cohorts: p95 < 300 ms at 10 M (overview filtered)": check(
      r.cohorts?.overview_filtered.p95_ms ?? null,
      (v) => v < 300,
    ),
    "cohorts: members and filtered overview equal SQL": r.cohorts?.correct ?? null,
    "privacy: people.delete p95 < 5 s (10,000 events, 10 M project)": check(
      r.privacy?.delete_p95_ms ?? null,
      (v) => v < 5_000,
    ),
    "privacy: figures after the deletions equal SQL": r.privacy?.correct ?? null,
    "retention: pipeline lag p99 <= 5 s at 5,000 events/s while a month is removed": !r.retention
      ? null
      : r.retention.complete && r.retention.offered_events_s >= 5_000 && r.retention.lag_p99_s <= 5,
    "memory: server < 200 MB": check(r.memory.server_rss_mb, (v) => v < 200),
    "memory: worker < 200 MB": check(r.memory.worker_rss_mb, (v) => v < 200),
  };
}

/** The keys the benchmark issue requires, by the part of the run that fills them. */
const REQUIRED_NUMBERS: Record<Part | "always", string[]> = {
  always: ["cores"],
  ceilings: ["ceilings.http_req_s_1", "ceilings.http_events_s_100", "ceilings.xadd_events_s", "ceilings.copy_rows_s"],
  ingest: ["ingest.req_s_1", "ingest.p99_ms_1", "ingest.events_s_100", "ingest.p99_ms_100", "memory.server_rss_mb"],
  pipeline: ["pipeline.events_s", "pipeline.drain_events_s", "memory.worker_rss_mb"],
  live: ["live.p50_ms", "live.p99_ms"],
  queries: [
    "events_loaded",
    ...PROCEDURES.flatMap((procedure) =>
      PERIODS.flatMap((period) => [`queries.${procedure}.${period}.p50_ms`, `queries.${procedure}.${period}.p95_ms`]),
    ),
  ],
  filtered: ["events_loaded", "filtered.baseline_rows"],
  analyses: ["events_loaded"],
  cohorts: ["events_loaded", "cohorts.compute_fresh.p95_ms", "cohorts.overview_filtered.p95_ms"],
  privacy: ["events_loaded", "privacy.delete_p95_ms", "privacy.purge_s"],
  footprint: ["memory.embedded_rss_mb", "sdk_gzip_bytes", "client_js_gzip_bytes"],
  retention: ["retention.lag_p99_s", "retention.removed_events"],
};

function lookup(value: unknown, dotted: string): unknown {
  let current = value;
  for (const part of dotted.split(".")) {
    if (typeof current !== "object" || current === null || !(part in current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Problems with a results file: a required key missing, or holding neither a number nor null. A null is allowed
 * only when `errors` explains it (a part that could not run), so a silently empty file fails.
 */
export function validateResults(value: unknown): string[] {
  const partsValue = lookup(value, "parts");
  const parts: Part[] = Array.isArray(partsValue) ? (partsValue as Part[]) : [...PARTS];
  const problems: string[] = [];
  const errors = lookup(value, "errors");
  if (!Array.isArray(errors)) problems.push("errors: missing (must be an array)");
  const hasErrors = Array.isArray(errors) && errors.length > 0;
  const numberOrExplainedNull = (key: string) => {
    const v = lookup(value, key);
    if (typeof v === "number" && Number.isFinite(v)) return;
    if (v === null && hasErrors) return;
    problems.push(`${key}: ${v === undefined ? "missing" : `not a number (${JSON.stringify(v)})`}`);
  };
  for (const key of REQUIRED_NUMBERS.always) numberOrExplainedNull(key);
  for (const part of parts) for (const key of REQUIRED_NUMBERS[part] ?? []) numberOrExplainedNull(key);
  if (typeof lookup(value, "date") !== "string" || Number.isNaN(Date.parse(String(lookup(value, "date"))))) {
    problems.push("date: missing or not ISO 8601");
  }
  const versions = lookup(value, "versions");
  if (typeof versions !== "object" || versions === null || !("bun" in versions)) problems.push("versions.bun: missing");
  return problems;
}

const fmt = (v: Num, decimals = 0) =>
  v === null ? "-" : v.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
const pct = (v: Num) => (v === null ? "-" : `${Math.round(v * 100)} %`);
const yesNo = (v: boolean | null | undefined) => (v === null || v === undefined ? "-" : v ? "met" : "MISSED");

/** The one table, in Markdown (it reads as a table in a terminal too and is pasted into the README as is). */
export function renderTable(r: BenchResults): string {
  const rows: string[][] = [];
  const add = (what: string, value: string, ceiling = "", target = "") => rows.push([what, value, ceiling, target]);
  const t = r.targets;
  add(
    "HTTP ceiling, 1-event bodies (bare Bun.serve + JSON.parse)",
    `${fmt(r.ceilings.http_req_s_1)} req/s, p99 ${fmt(r.ceilings.http_p99_ms_1, 1)} ms, ${fmt(r.ceilings.http_cpu_us_per_req_1, 1)} µs CPU/req`,
  );
  add(
    "HTTP ceiling, 100-event bodies",
    `${fmt(r.ceilings.http_events_s_100)} events/s, p99 ${fmt(r.ceilings.http_p99_ms_100, 1)} ms, ${fmt(r.ceilings.http_cpu_us_per_req_100, 1)} µs CPU/req`,
  );
  add(
    "XADD ceiling, pipelined (entry per event / per 100)",
    `${fmt(r.ceilings.xadd_events_s)} / ${fmt(r.ceilings.xadd_batch_events_s)} events/s`,
  );
  add(
    "COPY ceiling, LIKE events INCLUDING ALL (median of 3)",
    `${fmt(r.ceilings.copy_rows_s)} rows/s (runs: ${r.ceilings.copy_rows_s_runs.map((v) => fmt(v)).join(", ")})`,
  );
  add(
    "Ingest, 1-event bodies",
    `${fmt(r.ingest.req_s_1)} req/s, p50 ${fmt(r.ingest.p50_ms_1, 1)} / p99 ${fmt(r.ingest.p99_ms_1, 1)} ms, ${fmt(r.ingest.non_2xx_1)} non-2xx, ${fmt(r.ingest.cpu_us_per_req_1, 1)} µs CPU/req`,
    pct(r.ratios.ingest_req_s_1_vs_http),
    `>= 50 %, p99 < 10 ms: ${yesNo(t["ingest_1: >= 50% of bare req/s"])}, ${yesNo(t["ingest_1: p99 < 10 ms"])}`,
  );
  add(
    "Ingest, 100-event bodies",
    `${fmt(r.ingest.events_s_100)} events/s, p50 ${fmt(r.ingest.p50_ms_100, 1)} / p99 ${fmt(r.ingest.p99_ms_100, 1)} ms, ${fmt(r.ingest.non_2xx_100)} non-2xx, ${fmt(r.ingest.cpu_us_per_req_100, 1)} µs CPU/req`,
    pct(r.ratios.ingest_events_s_100_vs_http),
    `>= 35 %: ${yesNo(t["ingest_100: >= 35% of bare events/s"])}`,
  );
  add(
    "Pipeline, sustained (first request to last row stored)",
    `${fmt(r.pipeline.events_s)} events/s of ${fmt(r.pipeline.offered_events_s)} offered; backlog max ${fmt(r.pipeline.max_backlog)} entries`,
    pct(r.ratios.pipeline_vs_copy),
    `>= 60 %, bounded: ${yesNo(t["pipeline: >= 60% of COPY rows/s"])}, ${yesNo(t["pipeline: backlog bounded"])}`,
  );
  add(
    "Worker drain from a pre-filled stream",
    `${fmt(r.pipeline.drain_events_s)} events/s (${fmt(r.pipeline.drain_events)} events)`,
  );
  add(
    `Live, 202 to WebSocket at ${fmt(r.settings.live_rate_events_s)} events/s`,
    `p50 ${fmt(r.live.p50_ms, 1)} / p99 ${fmt(r.live.p99_ms, 1)} ms (${fmt(r.live.samples)} samples, ${fmt(r.live.missing)} missing)`,
    "",
    `p99 < 500 ms: ${yesNo(t["live: p99 < 500 ms at 5,000 events/s"])}`,
  );
  for (const procedure of PROCEDURES) {
    const cells = PERIODS.map((period) => {
      const q = r.queries[procedure]?.[period];
      const mark = q?.correct === false ? " WRONG" : "";
      return `${period} ${fmt(q?.p50_ms ?? null, 1)}/${fmt(q?.p95_ms ?? null, 1)}${mark}`;
    });
    add(`analytics.${procedure} p50/p95 ms (${fmt(r.events_loaded)} events)`, cells.join(", "));
  }
  add(
    "Queries: targets",
    `${r.query_checks.passed} results match SQL, ${r.query_checks.failed} do not`,
    "",
    `p95 < 100 ms (<= 30d): ${yesNo(t["queries: p95 < 100 ms up to 30 days"])}; < 250 ms (90d): ${yesNo(t["queries: p95 < 250 ms over 90 days"])}`,
  );
  add(
    "Peak RSS: server / worker (production), bun start (embedded)",
    `${fmt(r.memory.server_rss_mb)} / ${fmt(r.memory.worker_rss_mb)} / ${fmt(r.memory.embedded_rss_mb)} MB`,
    "",
    `< 200 MB: ${yesNo(t["memory: server < 200 MB"])}, ${yesNo(t["memory: worker < 200 MB"])}`,
  );
  if (r.retention) {
    const x = r.retention;
    add(
      `Pipeline lag while retention removes ${fmt(x.removed_events)} events (${x.retention_days} days kept)`,
      `lag p50 ${fmt(x.lag_p50_s, 2)} / p99 ${fmt(x.lag_p99_s, 2)} / max ${fmt(x.lag_max_s, 2)} s (${fmt(x.baseline_lag_p99_s, 2)} s p99 before) at ${fmt(x.offered_events_s)} events/s offered; removal ${fmt(x.removal_s, 1)} s, ${fmt(x.removal_events_s)} events/s, ${fmt(x.batches)} batches of p99 ${fmt(x.batch_ms_p99)} / max ${fmt(x.batch_ms_max)} ms${x.complete ? "" : " (NOT complete)"}`,
      "",
      `p99 <= 5 s: ${yesNo(t["retention: pipeline lag p99 <= 5 s at 5,000 events/s while a month is removed"])}`,
    );
  }
  add("sdk.min.js, gzip -9", `${fmt(r.sdk_gzip_bytes)} bytes`);
  add("Dashboard first-load JS, gzip -9", `${fmt(r.client_js_gzip_bytes)} bytes (${r.client_js_files.length} files)`);

  const header = ["what", "measured", "of ceiling", "target"];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const row of rows) lines.push(`| ${row.map((c) => c.replaceAll("|", "/")).join(" | ")} |`);
  const machine =
    `${r.cores} cores (${r.machine.cpu_model}), ${r.mode} run, ${r.date}; ` +
    Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  return `${lines.join("\n")}\n\n${machine}\n${renderFilteredTable(r)}${renderAnalysesTable(r)}${renderCohortsLine(r)}${renderPrivacyLine(r)}`;
}

/** The filtered part: per case and range, each procedure's p95, the baseline's time and the ratio. */
export function renderFilteredTable(r: BenchResults): string {
  // Results files written before the filtered part have no `filtered`.
  if (!r.filtered?.cases?.length) return "";
  const header = ["filter case", "range", ...PROCEDURES];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const c of r.filtered.cases) {
    for (const period of FILTERED_PERIODS) {
      const cells = PROCEDURES.map((procedure) => {
        const cell = c.periods[period]?.[procedure];
        if (!cell) return "-";
        if (cell.p95_ms === null) return `n/a (${(cell.error ?? "not measured").slice(0, 60)})`;
        const mark = cell.correct === false ? " WRONG" : "";
        return `${fmt(cell.p95_ms, 1)} / ${fmt(cell.baseline_ms)} = ${fmt(cell.speedup, 1)}x${mark}`;
      });
      const label = `${c.label}${c.via === "direct" ? " (direct call: op not in the API yet)" : ""}`;
      lines.push(`| ${[label, period, ...cells].map((v) => v.replaceAll("|", "/")).join(" | ")} |`);
    }
  }
  const f = r.filtered;
  return (
    `\nFiltered queries (${fmt(r.events_loaded)} events, ${fmt(f.distinct_paths)} distinct paths, ` +
    `${fmt(f.distinct_order_ids)} distinct order_id): ours p95 ms / baseline ms = baseline / ours; ` +
    `${f.checks.passed} answers equal the baseline's, ${f.checks.failed} do not.\n\n${lines.join("\n")}\n`
  );
}

/** The analyses part: each case's p95 and target, the baseline's time and the ratio, and whether they agree. */
export function renderAnalysesTable(r: BenchResults): string {
  if (!r.analyses?.length) return "";
  const lines = [
    "| analysis | p50 ms | p95 ms | target | baseline ms | baseline / ours | equal |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const a of r.analyses) {
    const equal = a.correct === null ? "-" : a.correct ? "yes" : `NO: ${(a.failures[0] ?? "").slice(0, 80)}`;
    lines.push(
      `| ${[a.label, fmt(a.p50_ms, 1), fmt(a.p95_ms, 1), `< ${fmt(a.target_ms)}`, fmt(a.baseline_ms), `${fmt(a.ratio, 1)}x`, equal].map((v) => v.replaceAll("|", "/")).join(" | ")} |`,
    );
  }
  return `\nAnalyses (${fmt(r.events_loaded)} events, through tRPC, warm) next to plain SQL + a direct JS walk:\n\n${lines.join("\n")}\n`;
}

/** The cohorts part in one line: the timings, the targets and the check. */
export function renderCohortsLine(r: BenchResults): string {
  const c = r.cohorts;
  if (!c || c.compute_fresh.samples === 0) return "";
  const t = r.targets;
  const equal = c.correct === null ? "-" : c.correct ? "equal to SQL" : `NOT equal to SQL: ${c.failures[0] ?? ""}`;
  return (
    `\nCohorts (${fmt(r.events_loaded)} events, 3+ page views and no signup in 30 days, ${fmt(c.members)} members): ` +
    `compute p50/p95 ${fmt(c.compute_fresh.p50_ms, 1)}/${fmt(c.compute_fresh.p95_ms, 1)} ms afresh, ` +
    `${fmt(c.compute_shared.p50_ms, 1)}/${fmt(c.compute_shared.p95_ms, 1)} ms shared; overview filtered ` +
    `${fmt(c.overview_filtered.p50_ms, 1)}/${fmt(c.overview_filtered.p95_ms, 1)} ms; < 300 ms: ` +
    `${yesNo(t["cohorts: p95 < 300 ms at 10 M (compute)"])}, ${yesNo(t["cohorts: p95 < 300 ms at 10 M (overview filtered)"])}; ` +
    `${equal} (baseline ${fmt(c.baseline_ms)} ms)\n`
  );
}

/** The privacy part in one line: the deletions' times, the purge, the target and the check. */
export function renderPrivacyLine(r: BenchResults): string {
  const p = r.privacy;
  if (!p || p.people.length === 0) return "";
  const t = r.targets;
  const equal =
    p.correct === null ? "-" : p.correct ? "figures equal SQL after" : `NOT equal to SQL: ${p.failures[0] ?? ""}`;
  const events = p.people.map((person) => fmt(person.events)).join(", ");
  return (
    `\nPrivacy (${fmt(r.events_loaded)} events): people.delete of ${p.people.length} people (${events} events, five ids ` +
    `each) p50/p95/max ${fmt(p.delete_p50_ms)}/${fmt(p.delete_p95_ms)}/${fmt(p.delete_max_ms)} ms, < 5 s: ` +
    `${yesNo(t["privacy: people.delete p95 < 5 s (10,000 events, 10 M project)"])}; deleted slots purged from the ` +
    `engine ${fmt(p.purge_s, 1)} s after the last; ${equal}\n`
  );
}
