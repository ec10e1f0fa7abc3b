/**
 * Filtered queries (the query engine issue's targets): every analytics procedure with each filter case of
 * FILTERED_CASES over 30 and 90 days, through tRPC, warm, next to a baseline: the same predicates as plain SQL over
 * `bench_events_baseline`, a copy of the project's events with the same indexes (`LIKE events INCLUDING ALL`),
 * jit off, parallel workers allowed. Every answer is compared with the baseline's (a mismatch fails the run).
 *
 * A case whose ops the API does not accept yet (FILTER_OPS of shared/analytics-constants.ts) is answered by the
 * same readers called in this process with their own QueryEngine (`via: "direct"`): the engine code is the same,
 * without HTTP and tRPC. Once the API accepts the op, the case goes through tRPC by itself.
 */

import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { EngineFilter } from "../../server/analytics/engine/filter-masks.ts";
import { QueryEngine } from "../../server/analytics/engine/query-engine.ts";
import { getBreakdown } from "../../server/analytics/get-breakdown.ts";
import { getOverview } from "../../server/analytics/get-overview.ts";
import { getSessions } from "../../server/analytics/get-sessions.ts";
import { getTimeseries } from "../../server/analytics/get-timeseries.ts";
import { getTopEvents } from "../../server/analytics/get-top-events.ts";
import { getUsers } from "../../server/analytics/get-users.ts";
import type { Database } from "../../server/db/client.ts";
import * as schema from "../../server/db/schema/index.ts";
import type { AnalyticsInput } from "../../shared/analytics.ts";
import { isCohortFilter } from "../../shared/analytics.ts";
import { FILTER_OPS } from "../../shared/analytics-constants.ts";
import { DIMENSIONS, PROPERTY_PREFIX } from "../../shared/dimensions.ts";
import type { TrpcClient } from "./api.ts";
import type { BenchContext } from "./context.ts";
import {
  type BenchResults,
  FILTERED_PERIODS,
  type FilteredCaseResult,
  type FilteredPeriod,
  type FilteredTiming,
  PROCEDURES,
  type Procedure,
} from "./report.ts";
import { percentile, round } from "./stats.ts";

export const BASELINE_TABLE = "bench_events_baseline";

/**
 * The events with the person each counts for (`person_num`): the id's own num, or the person it is linked to.
 * Events without a distinct id count for nobody, as in the product.
 */
export const EVENTS_WITH_PERSON = `select e.*, case when coalesce(e.distinct_id, '') = '' then null
                                                else coalesce(l.person_num, u.num) end as person_num
                                     from events e
                                     left join analytics_users u on u.project_id = e.project_id and u.distinct_id = e.distinct_id
                                     left join analytics_person_links l on l.project_id = e.project_id and l.alias_num = u.num`;

export interface FilteredCase {
  id: string;
  label: string;
  filters: EngineFilter[];
}

/** 20 `neq` filters: ten head pages, five tail pages and five other dimensions' values. */
const TWENTY_NEQ: EngineFilter[] = [
  ...["/about", "/contact", "/blog", "/blog/launch-week", "/docs/api", "/docs/getting-started", "/features"].map(
    (value) => ({ dimension: "path" as const, op: "neq" as const, value }),
  ),
  ...["/docs/page-1", "/docs/page-2", "/docs/page-3", "/docs/page-4", "/docs/page-5", "/docs/page-6"].map((value) => ({
    dimension: "path" as const,
    op: "neq" as const,
    value,
  })),
  { dimension: "browser", op: "neq", value: "Firefox" },
  { dimension: "os", op: "neq", value: "Linux" },
  { dimension: "device", op: "neq", value: "tablet" },
  { dimension: "utm_source", op: "neq", value: "newsletter" },
  { dimension: "event_name", op: "neq", value: "logout" },
  { dimension: "property:plan", op: "neq", value: "team" },
  { dimension: "property:button", op: "neq", value: "nav" },
];

/** The cases; `order_id eq` gets its value from the data (a recent purchase), see measureFiltered. */
export function filteredCases(orderId: string): FilteredCase[] {
  return [
    { id: "path_eq", label: "path eq /pricing", filters: [{ dimension: "path", op: "eq", value: "/pricing" }] },
    { id: "path_neq", label: "path neq /", filters: [{ dimension: "path", op: "neq", value: "/" }] },
    {
      id: "path_contains_tail",
      label: 'path contains "page-12" (111 of 10,000 tail paths)',
      filters: [{ dimension: "path", op: "contains", value: "page-12" }],
    },
    {
      id: "property_eq",
      label: "property plan eq pro",
      filters: [{ dimension: "property:plan", op: "eq", value: "pro" }],
    },
    {
      id: "property_neq",
      label: "property plan neq free",
      filters: [{ dimension: "property:plan", op: "neq", value: "free" }],
    },
    {
      id: "mixed_3",
      label: "browser eq Chrome + utm_source eq google + plan neq free",
      filters: [
        { dimension: "browser", op: "eq", value: "Chrome" },
        { dimension: "utm_source", op: "eq", value: "google" },
        { dimension: "property:plan", op: "neq", value: "free" },
      ],
    },
    {
      id: "path_in_3",
      label: "path in (/pricing, /signup, /docs/page-7)",
      filters: [{ dimension: "path", op: "in", values: ["/pricing", "/signup", "/docs/page-7"] }],
    },
    { id: "neq_20", label: "20 neq filters (paths, browser, os, device, utm, event, properties)", filters: TWENTY_NEQ },
    {
      id: "order_id_eq",
      label: `property order_id eq ${orderId} (a single purchase)`,
      filters: [{ dimension: "property:order_id", op: "eq", value: orderId }],
    },
  ];
}

/** True when the API's filter schema accepts every op of the case. */
export function acceptedByApi(filters: readonly EngineFilter[]): boolean {
  return filters.every((filter) => (FILTER_OPS as readonly string[]).includes(filter.op));
}

/** Extra input per procedure, as the queries part sends it. */
const EXTRA_INPUT: Record<Procedure, Record<string, unknown>> = {
  overview: {},
  timeseries: {},
  topEvents: { limit: 10 },
  breakdown: { dimension: "path", limit: 10 },
  sessions: { limit: 50 },
  users: { limit: 50 },
};

const PERIOD_MS: Record<FilteredPeriod, number> = { "30d": 30 * 86_400_000, "90d": 90 * 86_400_000 };
const CALL_TIMEOUT_MS = 30_000;
/** Warm-up calls; one is enough once a call takes more than a second (the caches are loaded by then). */
const WARM_CALLS = 2;
const SLOW_WARM_MS = 1_000;

// Baseline ------------------------------------------------------------------------------------------------------

/** Copies the project's events into the baseline table with every index of `events`, then VACUUM ANALYZE. */
export async function createBaseline(ctx: BenchContext, projectId: string): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  await ctx.sql.unsafe(`drop table if exists ${BASELINE_TABLE}`);
  await ctx.sql.unsafe(`create table ${BASELINE_TABLE} (like events including all)`);
  // The person each event counts for, as the seed's identifies linked them: users are people, not ids.
  await ctx.sql.unsafe(`alter table ${BASELINE_TABLE} add column person_num bigint`);
  await ctx.sql.unsafe(`insert into ${BASELINE_TABLE} ${EVENTS_WITH_PERSON} where e.project_id = $1`, [projectId]);
  await ctx.sql.unsafe(`vacuum (analyze) ${BASELINE_TABLE}`);
  const [row] = await ctx.sql.unsafe<Array<{ n: string }>>(`select count(*)::text as n from ${BASELINE_TABLE}`);
  return { rows: Number(row?.n ?? 0), seconds: (performance.now() - started) / 1000 };
}

const COLUMNS = new Map<string, string>(DIMENSIONS.map((d) => [d.name, d.column]));

/** The filters as SQL over the baseline table, with their parameters from $`first` on (the semantics). */
export function baselinePredicate(
  filters: readonly EngineFilter[],
  first: number,
): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${first + params.length - 1}`;
  };
  const conditions = filters.map((filter) => {
    if (isCohortFilter(filter)) throw new Error("the baseline table has no cohort filter");
    let expr: string;
    if (filter.dimension.startsWith(PROPERTY_PREFIX)) {
      expr = `(properties ->> ${param(filter.dimension.slice(PROPERTY_PREFIX.length))}::text)`;
    } else {
      const column = COLUMNS.get(filter.dimension);
      if (!column) throw new Error(`unknown dimension ${filter.dimension}`);
      expr = `"${column}"`;
    }
    switch (filter.op) {
      case "eq":
        return `${expr} = ${param(filter.value)}::text`;
      case "neq":
        return `${expr} is distinct from ${param(filter.value)}::text`;
      case "contains":
        return `strpos(lower(${expr}), lower(${param(filter.value)}::text)) > 0`;
      case "not_contains":
        return `(${expr} is null or strpos(lower(${expr}), lower(${param(filter.value)}::text)) = 0)`;
      case "is_set":
        return `(${expr} is not null and ${expr} <> '')`;
      case "not_set":
        return `(${expr} is null or ${expr} = '')`;
      case "in":
        return `${expr} = any(${param(filter.values)}::text[])`;
      default:
        throw new Error(`unknown op ${(filter as { op: string }).op}`);
    }
  });
  return { text: conditions.length ? conditions.join(" and ") : "true", params };
}

type Row = Record<string, string | null>;
type Statement = { text: string; params: unknown[] };

/** Where the baseline's SQL runs: a table of raw events and a way to run statements on it. */
export interface BaselineSource {
  table: string;
  run(statements: readonly Statement[]): Promise<Row[][]>;
}

/** The baseline table on PostgreSQL, jit off, parallel workers as configured (the server's default: allowed). */
export function postgresBaseline(sql: postgres.Sql, table = BASELINE_TABLE): BaselineSource {
  return {
    table,
    run: async (statements) => {
      const results: Row[][] = [];
      await sql.begin(async (tx) => {
        await tx`set local jit = off`;
        // Exact distinct counts over millions of rows sort in memory instead of on disk.
        await tx`set local work_mem = '256MB'`;
        for (const statement of statements) {
          results.push((await tx.unsafe(statement.text, statement.params as never[])) as unknown as Row[]);
        }
      });
      return results;
    },
  };
}

interface BaselineAnswer {
  ms: number;
  check: (answer: unknown) => string[];
}

/**
 * The baseline of one procedure: its SQL statements timed (the fastest of two runs when the first took under 2 s,
 * so both sides are warm; one run otherwise) and a checker of our answer against their result.
 */
async function baseline(
  base: BaselineSource,
  procedure: Procedure,
  projectId: string,
  range: { from: number; to: number },
  filters: readonly EngineFilter[],
  granularity: "hour" | "day",
): Promise<BaselineAnswer> {
  const where = baselinePredicate(filters, 4);
  const from = new Date(range.from).toISOString();
  const to = new Date(range.to).toISOString();
  const prevFrom = new Date(2 * range.from - range.to).toISOString();
  const inRange = (start: string) => [projectId, start, to, ...where.params];
  const fromWhere = `from ${base.table} where project_id = $1 and timestamp >= $2 and timestamp < $3 and (${where.text})`;
  const statements: Statement[] = [];
  switch (procedure) {
    case "overview":
      statements.push({
        text: `select (timestamp >= $${4 + where.params.length}::timestamptz)::text as current, count(*)::text as n,
                      count(distinct session_id)::text as sessions, count(distinct person_num)::text as users
               ${fromWhere} group by 1`,
        params: [...inRange(prevFrom), from],
      });
      statements.push({
        text: `select event_name as value, count(*)::text as n ${fromWhere} group by 1 order by count(*) desc, 1 limit 1`,
        params: inRange(from),
      });
      break;
    case "timeseries":
      statements.push({
        text: `select (date_trunc('${granularity}', timestamp at time zone 'UTC') at time zone 'UTC') as bucket,
                      count(*)::text as n, count(distinct session_id)::text as sessions ${fromWhere} group by 1`,
        params: inRange(from),
      });
      break;
    case "topEvents":
      statements.push({
        text: `select event_name as value, count(*)::text as n, count(distinct session_id)::text as sessions,
                      count(distinct person_num)::text as users ${fromWhere} group by 1`,
        params: inRange(from),
      });
      break;
    case "breakdown":
      statements.push({
        text: `select path as value, count(*)::text as n, count(distinct session_id)::text as sessions
               ${fromWhere} and path is not null and path <> '' group by 1`,
        params: inRange(from),
      });
      break;
    case "sessions":
      statements.push({ text: `select count(distinct session_id)::text as n ${fromWhere}`, params: inRange(from) });
      break;
    case "users":
      statements.push({ text: `select count(distinct person_num)::text as n ${fromWhere}`, params: inRange(from) });
      break;
  }
  const runAll = async () => {
    const started = performance.now();
    const results = await base.run(statements);
    return { ms: performance.now() - started, results };
  };
  let run = await runAll();
  if (run.ms < 2_000) {
    const again = await runAll();
    if (again.ms < run.ms) run = again;
  }
  const results = run.results;
  return { ms: run.ms, check: (answer) => checkAnswer(procedure, answer, results) };
}

function same(label: string, got: unknown, want: unknown, failures: string[]): void {
  if (Number(got) !== Number(want ?? 0))
    failures.push(`${label} is ${JSON.stringify(got)}, baseline says ${want ?? 0}`);
}

/** Our answer against the baseline's rows; returns what differs (at most 5). */
function checkAnswer(procedure: Procedure, answer: unknown, results: Row[][]): string[] {
  const failures: string[] = [];
  const rows = results[0] ?? [];
  const a = answer as Record<string, unknown>;
  switch (procedure) {
    case "overview": {
      const current = rows.find((r) => r.current === "true");
      const previous = rows.find((r) => r.current === "false");
      const p = a.previous as Record<string, unknown>;
      same("totalEvents", a.totalEvents, current?.n, failures);
      same("uniqueSessions", a.uniqueSessions, current?.sessions, failures);
      same("uniqueUsers", a.uniqueUsers, current?.users, failures);
      same("previous.totalEvents", p.totalEvents, previous?.n, failures);
      same("previous.uniqueSessions", p.uniqueSessions, previous?.sessions, failures);
      same("previous.uniqueUsers", p.uniqueUsers, previous?.users, failures);
      const top = results[1]?.[0];
      if ((a.topEvent ?? null) !== (top?.value ?? null)) {
        failures.push(`topEvent is ${JSON.stringify(a.topEvent)}, baseline says ${top?.value ?? null}`);
      }
      break;
    }
    case "timeseries": {
      const byBucket = new Map(rows.map((r) => [new Date(r.bucket as unknown as Date).getTime(), r]));
      const points = a.points as Array<{ timestamp: string; count: number; uniqueSessions: number }>;
      let sum = 0;
      let total = 0;
      for (const r of rows) total += Number(r.n);
      for (const point of points) {
        const want = byBucket.get(Date.parse(point.timestamp));
        sum += Number(point.count);
        same(`${point.timestamp}.count`, point.count, want?.n, failures);
        same(`${point.timestamp}.uniqueSessions`, point.uniqueSessions, want?.sessions, failures);
      }
      if (sum !== total) failures.push(`points sum to ${sum}, baseline total is ${total}`);
      break;
    }
    case "topEvents":
    case "breakdown": {
      const key = procedure === "topEvents" ? "eventName" : "value";
      const items = answer as Array<Record<string, unknown>>;
      const byValue = new Map(rows.map((r) => [r.value, r]));
      const counts = rows.map((r) => Number(r.n)).sort((x, y) => y - x);
      if (items.length !== Math.min(10, rows.length)) {
        failures.push(`${items.length} rows, baseline has ${Math.min(10, rows.length)}`);
      }
      items.forEach((item, i) => {
        const value = item[key] as string;
        const want = byValue.get(value);
        if (!want) failures.push(`${value} is not in the baseline's answer`);
        else {
          same(`${value}.count`, item.count, want.n, failures);
          same(`${value}.uniqueSessions`, item.uniqueSessions, want.sessions, failures);
          if (procedure === "topEvents") same(`${value}.uniqueUsers`, item.uniqueUsers, want.users, failures);
        }
        // The top N by count (ties in any order).
        if (Number(item.count) !== counts[i])
          failures.push(`row ${i + 1} has ${item.count} events, baseline's ${counts[i]}`);
      });
      break;
    }
    case "sessions":
    case "users": {
      const total = Number(rows[0]?.n ?? 0);
      same("total", a.total, total, failures);
      const items = a.items as unknown[];
      if (items.length !== Math.min(50, total))
        failures.push(`page holds ${items.length} items, expected ${Math.min(50, total)}`);
      break;
    }
  }
  return failures.slice(0, 5);
}

// Ours ------------------------------------------------------------------------------------------------------------

export type Caller = (procedure: Procedure, input: Record<string, unknown>) => Promise<unknown>;

function trpcCaller(client: TrpcClient): Caller {
  return (procedure, input) => client.query(`analytics.${procedure}`, input, AbortSignal.timeout(CALL_TIMEOUT_MS));
}

/** The readers called in this process, with their own engine (for ops the API refuses for now). */
export function directCaller(db: Database, engine: QueryEngine): Caller {
  return (procedure, raw) => {
    const input = raw as unknown as AnalyticsInput & { limit?: number; dimension?: "path" };
    const now = Date.now();
    switch (procedure) {
      case "overview":
        return getOverview(db, input, now, engine);
      case "timeseries":
        return getTimeseries(db, input, now, engine);
      case "topEvents":
        return getTopEvents(db, input, now, engine);
      case "breakdown":
        return getBreakdown(db, { ...input, dimension: "path" }, now, engine);
      case "sessions":
        return getSessions(db, input, now);
      case "users":
        return getUsers(db, input, now);
    }
  };
}

async function timed(call: () => Promise<unknown>): Promise<{ ms: number; answer: unknown; error: string | null }> {
  const started = performance.now();
  try {
    const answer = await call();
    return { ms: performance.now() - started, answer, error: null };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ms: performance.now() - started, answer: null, error: message.slice(0, 300) };
  }
}

export interface FilteredOptions {
  client: TrpcClient;
  projectId: string;
  results: BenchResults;
  /** Case ids to run (all when empty). */
  only?: readonly string[];
}

/** Times every case x period x procedure, then its baseline, and checks the answer against it. */
export async function measureFiltered(ctx: BenchContext, options: FilteredOptions): Promise<void> {
  const { client, projectId, results } = options;
  const quick = ctx.options.quick;
  const samplesWanted = quick ? 5 : 20;
  const budgetMs = quick ? 4_000 : 6_000;

  const copy = await createBaseline(ctx, projectId);
  results.filtered.baseline_rows = copy.rows;
  results.filtered.baseline_setup_s = round(copy.seconds, 1);
  ctx.log(`filtered: ${BASELINE_TABLE} holds ${copy.rows.toLocaleString("en-US")} rows (${copy.seconds.toFixed(1)} s)`);

  // A purchase of about a week ago: inside both ranges.
  const [order] = await ctx.sql.unsafe<Array<{ id: string | null }>>(
    `select properties ->> 'order_id' as id from ${BASELINE_TABLE}
      where project_id = $1 and event_name = 'purchase' and timestamp >= now() - interval '7 days'
      order by timestamp limit 1`,
    [projectId],
  );
  const orderId = order?.id ?? "ord_0";
  const [distinct] = await ctx.sql.unsafe<Array<{ paths: string; orders: string }>>(
    `select count(distinct path)::text as paths, count(distinct properties ->> 'order_id')::text as orders
       from ${BASELINE_TABLE} where project_id = $1`,
    [projectId],
  );
  results.filtered.distinct_paths = Number(distinct?.paths ?? 0);
  results.filtered.distinct_order_ids = Number(distinct?.orders ?? 0);

  const pg = postgres(ctx.databaseUrl, { max: 2, onnotice: () => {} });
  const db = drizzle(pg, { schema, casing: "snake_case" }) as unknown as Database;
  const engine = new QueryEngine({ cacheBytes: 512 * 1024 * 1024 });
  const viaTrpc = trpcCaller(client);
  const viaDirect = directCaller(db, engine);
  const source = postgresBaseline(ctx.sql);
  try {
    for (const c of filteredCases(orderId)) {
      if (options.only?.length && !options.only.includes(c.id)) continue;
      const via = acceptedByApi(c.filters) ? "trpc" : "direct";
      const call = via === "trpc" ? viaTrpc : viaDirect;
      const caseResult: FilteredCaseResult = { id: c.id, label: c.label, filters: c.filters, via, periods: {} };
      results.filtered.cases.push(caseResult);
      for (const period of FILTERED_PERIODS) {
        const cells: Partial<Record<Procedure, FilteredTiming>> = {};
        caseResult.periods[period] = cells as Record<Procedure, FilteredTiming>;
        for (const procedure of PROCEDURES) {
          const cell = await measureCell(source, {
            call,
            procedure,
            projectId,
            filters: c.filters,
            period,
            samplesWanted,
            budgetMs,
          });
          cells[procedure] = cell;
          if (cell.correct === true) results.filtered.checks.passed++;
          else if (cell.correct === false) {
            results.filtered.checks.failed++;
            results.filtered.checks.failures.push(...cell.failures.map((f) => `${c.id} ${period} ${procedure}: ${f}`));
          }
        }
        ctx.log(
          `filtered: ${c.id} ${period} (${via}): ` +
            PROCEDURES.map((p) => {
              const cell = cells[p]!;
              return cell.error
                ? `${p} error`
                : `${p} ${cell.p95_ms}/${cell.baseline_ms} ms${cell.correct === false ? " WRONG" : ""}`;
            }).join(", "),
        );
      }
    }
  } finally {
    await pg.end({ timeout: 5 });
  }
}

export async function measureCell(
  source: BaselineSource,
  o: {
    call: Caller;
    procedure: Procedure;
    projectId: string;
    filters: EngineFilter[];
    period: FilteredPeriod;
    samplesWanted: number;
    budgetMs: number;
  },
): Promise<FilteredTiming & { failures: string[] }> {
  const cell: FilteredTiming & { failures: string[] } = {
    p50_ms: null,
    p95_ms: null,
    samples: 0,
    failed_calls: 0,
    baseline_ms: null,
    speedup: null,
    correct: null,
    error: null,
    failures: [],
  };
  const timingInput = { projectId: o.projectId, period: o.period, filters: o.filters, ...EXTRA_INPUT[o.procedure] };
  const budgetEnds = performance.now() + o.budgetMs;
  for (let i = 0; i < WARM_CALLS; i++) {
    const warm = await timed(() => o.call(o.procedure, timingInput));
    if (warm.error) {
      // An API refusal (or a reader that cannot take the op yet) is reported as such, not timed.
      cell.error = warm.error;
      return cell;
    }
    if (warm.ms > SLOW_WARM_MS) break;
  }
  const samples: number[] = [];
  while (samples.length < o.samplesWanted && (samples.length === 0 || performance.now() < budgetEnds)) {
    const sample = await timed(() => o.call(o.procedure, timingInput));
    samples.push(sample.ms);
    if (sample.error) {
      cell.failed_calls++;
      cell.error = sample.error;
    }
  }
  cell.samples = samples.length;
  cell.p50_ms = round(percentile(samples, 50), 1);
  cell.p95_ms = round(percentile(samples, 95), 1);

  // The check: one range fixed to the millisecond, asked of both sides.
  const to = Date.now();
  const range = { from: to - PERIOD_MS[o.period], to };
  const checkInput = {
    projectId: o.projectId,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    filters: o.filters,
    ...EXTRA_INPUT[o.procedure],
  };
  const ours = await timed(() => o.call(o.procedure, checkInput));
  if (ours.error) {
    cell.error = ours.error;
    cell.correct = false;
    cell.failures.push(`check call failed: ${ours.error}`);
    return cell;
  }
  const granularity =
    o.procedure === "timeseries" ? (ours.answer as { granularity: "hour" | "day" }).granularity : "day";
  const base = await baseline(source, o.procedure, o.projectId, range, o.filters, granularity);
  cell.baseline_ms = round(base.ms, 1);
  cell.speedup = cell.p95_ms && cell.p95_ms > 0 ? round(base.ms / cell.p95_ms, 1) : null;
  cell.failures = base.check(ours.answer);
  cell.correct = cell.failures.length === 0;
  return cell;
}
