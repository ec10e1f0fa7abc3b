/**
 * Queries: the seed's direct mode loads the benchmark project with `--events` realistic events over 90 days, then
 * every analytics procedure is timed over 24h/7d/30d/90d through the tRPC HTTP endpoint with a bearer token, warm
 * (two untimed calls first), and each result is checked against SQL over the raw `events` rows of the same range.
 */
import { TrpcCallError, type TrpcClient } from "./api.ts";
import type { BenchContext } from "./context.ts";
import { EVENTS_WITH_PERSON } from "./filtered-queries.ts";
import { runCommand } from "./procs.ts";
import { type BenchResults, PERIODS, type Period, PROCEDURES, type Procedure } from "./report.ts";
import { percentile, round } from "./stats.ts";

/** Days the query dataset spans (the seed's --days). */
export const QUERY_DAYS = 90;

export async function seedEvents(
  ctx: BenchContext,
  options: { projectId: string; count: number },
): Promise<{ eventsLoaded: number; seconds: number }> {
  const started = performance.now();
  await runCommand([
    process.execPath,
    "run",
    "seed",
    "--",
    "--direct",
    "--database-url",
    ctx.databaseUrl,
    "--project-id",
    options.projectId,
    "--count",
    String(options.count),
    "--days",
    String(QUERY_DAYS),
  ]);
  const seconds = (performance.now() - started) / 1000;
  const [row] = await ctx.sql<
    Array<{ n: string }>
  >`select count(*)::text as n from events where project_id = ${options.projectId}`;
  // Settle the database the way it would be some minutes after an import: autovacuum's work done (visibility map
  // set, statistics fresh) and the import's dirty pages written, so no background pass overlaps a measurement.
  ctx.log("queries.load: vacuum (analyze) and checkpoint");
  await ctx.sql.unsafe("vacuum (analyze)");
  await ctx.sql.unsafe("checkpoint");
  return { eventsLoaded: Number(row?.n ?? 0), seconds };
}

/** Extra input per procedure: the dashboard's defaults (top 10, a path breakdown, first page of lists). */
const EXTRA_INPUT: Record<Procedure, Record<string, unknown>> = {
  overview: {},
  timeseries: {},
  topEvents: { limit: 10 },
  breakdown: { dimension: "path", limit: 10 },
  sessions: { limit: 50 },
  users: { limit: 50 },
};

const WARM_CALLS = 2;
/** Bounds per procedure and period, so a slow procedure cannot stretch the run without limit. */
const SAMPLE_BUDGET_MS = { quick: 5_000, full: 10_000 };
const CALL_TIMEOUT_MS = 30_000;

/**
 * One timed call. A call that fails at the transport level (our 30 s timeout, or the server closing the connection
 * under a long query) counts as failed, with the time it took as a lower bound; an error answer from the API
 * (a tRPC error) is a bug and fails the phase.
 */
async function timedCall(
  client: TrpcClient,
  path: string,
  input: unknown,
): Promise<{ ms: number; failure: string | null }> {
  const started = performance.now();
  try {
    await client.query(path, input, AbortSignal.timeout(CALL_TIMEOUT_MS));
    return { ms: performance.now() - started, failure: null };
  } catch (error) {
    if (error instanceof TrpcCallError) throw error;
    const ms = performance.now() - started;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ms, failure: `${reason} after ${Math.round(ms)} ms` };
  }
}

export async function measureQueries(
  ctx: BenchContext,
  options: { client: TrpcClient; projectId: string; results: BenchResults },
): Promise<void> {
  const { client, projectId, results } = options;
  for (const period of PERIODS) {
    for (const procedure of PROCEDURES) {
      const input = { projectId, period, ...EXTRA_INPUT[procedure] };
      const path = `analytics.${procedure}`;
      const budgetEnds = performance.now() + SAMPLE_BUDGET_MS[ctx.options.quick ? "quick" : "full"];
      const failures: string[] = [];
      for (let i = 0; i < WARM_CALLS && performance.now() < budgetEnds; i++) {
        const call = await timedCall(client, path, input);
        if (call.failure) failures.push(call.failure);
      }
      const samples: number[] = [];
      // At least one timed call; more while the budget lasts.
      while (samples.length < ctx.options.querySamples && (samples.length === 0 || performance.now() < budgetEnds)) {
        const call = await timedCall(client, path, input);
        samples.push(call.ms);
        if (call.failure) failures.push(call.failure);
      }
      if (failures.length) {
        ctx.errors.push({
          part: "queries",
          message: `${path} ${period}: ${failures.length} calls failed, e.g. ${failures[0]}`,
        });
      }
      results.queries[procedure]![period] = {
        p50_ms: round(percentile(samples, 50), 1),
        p95_ms: round(percentile(samples, 95), 1),
        samples: samples.length,
        failed_calls: failures.length,
        correct: null,
      };
    }
    ctx.log(`queries: ${period} timed`);
  }
  for (const period of PERIODS) {
    const outcome = await checkPeriod(ctx, client, projectId, period);
    for (const procedure of PROCEDURES) {
      const failures = outcome[procedure];
      results.queries[procedure]![period]!.correct = failures.length === 0;
      if (failures.length === 0) results.query_checks.passed++;
      else {
        results.query_checks.failed++;
        results.query_checks.failures.push(...failures.map((f) => `${procedure} ${period}: ${f}`));
      }
    }
    ctx.log(`queries: ${period} checked against SQL`);
  }
}

interface Overview {
  totalEvents: number;
  uniqueSessions: number;
  uniqueUsers: number;
  topEvent: string | null;
  periodStart: string;
  periodEnd: string;
  previous: { totalEvents: number; uniqueSessions: number; uniqueUsers: number };
}
interface Timeseries {
  granularity: "hour" | "day";
  points: Array<{ timestamp: string; count: number; uniqueSessions: number }>;
}
type TopEvents = Array<{ eventName: string; count: number; uniqueSessions: number; uniqueUsers: number }>;
type Breakdown = Array<{ value: string | null; count: number; uniqueSessions: number }>;
interface Page {
  items: unknown[];
  total: number;
}

/** True when the API declares a distinct count approximate (allowed above 10,000 values, within 1 %). */
function isApproximate(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.approximate === true || record.exact === false;
}

function sameCount(label: string, got: unknown, want: number, failures: string[], approximate = false): void {
  const n = Number(got);
  if (n === want) return;
  if (approximate && want >= 10_000 && Math.abs(n - want) <= want * 0.01) return;
  failures.push(`${label} is ${JSON.stringify(got)}, SQL says ${want}`);
}

/** Calls every procedure over one period's exact range and compares with SQL; returns failures per procedure. */
async function checkPeriod(
  ctx: BenchContext,
  client: TrpcClient,
  projectId: string,
  period: Period,
): Promise<Record<Procedure, string[]>> {
  const failures: Record<Procedure, string[]> = {
    overview: [],
    timeseries: [],
    topEvents: [],
    breakdown: [],
    sessions: [],
    users: [],
  };
  const first = await client.query<Overview>("analytics.overview", { projectId, period });
  const from = first.periodStart;
  const to = first.periodEnd;
  const range = { projectId, from, to };
  // One at a time (as the timings were taken), each allowed to fail on its own.
  const call = async <T>(procedure: Procedure): Promise<T | null> => {
    try {
      return await client.query<T>(
        `analytics.${procedure}`,
        { ...range, ...EXTRA_INPUT[procedure] },
        AbortSignal.timeout(CALL_TIMEOUT_MS),
      );
    } catch (error) {
      failures[procedure].push(`call failed: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  };
  const overview = await call<Overview>("overview");
  const timeseries = await call<Timeseries>("timeseries");
  const topEvents = await call<TopEvents>("topEvents");
  const breakdown = await call<Breakdown>("breakdown");
  const sessions = await call<Page>("sessions");
  const users = await call<Page>("users");

  const lengthMs = Date.parse(to) - Date.parse(from);
  const previousFrom = new Date(Date.parse(from) - lengthMs).toISOString();
  await ctx.sql.begin(async (sql) => {
    // Exact distinct counts over millions of rows sort in memory instead of on disk.
    await sql`set local work_mem = '256MB'`;
    const totals = async (start: string, end: string) => {
      const [row] = await sql<Array<{ total: string; sessions: string; users: string }>>`
        select count(*)::text as total, count(distinct session_id)::text as sessions, count(distinct person_num)::text as users
        from (${sql.unsafe(EVENTS_WITH_PERSON)}) e
        where project_id = ${projectId} and timestamp >= ${start} and timestamp < ${end}`;
      return { total: Number(row?.total), sessions: Number(row?.sessions), users: Number(row?.users) };
    };
    const current = await totals(from, to);
    const previous = await totals(previousFrom, from);
    if (overview) {
      const approx = isApproximate(overview);
      sameCount("totalEvents", overview.totalEvents, current.total, failures.overview);
      sameCount("uniqueSessions", overview.uniqueSessions, current.sessions, failures.overview, approx);
      sameCount("uniqueUsers", overview.uniqueUsers, current.users, failures.overview, approx);
      sameCount("previous.totalEvents", overview.previous.totalEvents, previous.total, failures.overview);
      sameCount(
        "previous.uniqueSessions",
        overview.previous.uniqueSessions,
        previous.sessions,
        failures.overview,
        approx,
      );
      sameCount("previous.uniqueUsers", overview.previous.uniqueUsers, previous.users, failures.overview, approx);
    }
    if (sessions) {
      sameCount("sessions.total", sessions.total, current.sessions, failures.sessions, isApproximate(sessions));
      if (sessions.items.length !== Math.min(50, current.sessions)) {
        failures.sessions.push(`page holds ${sessions.items.length} items, expected ${Math.min(50, current.sessions)}`);
      }
    }
    if (users) {
      sameCount("users.total", users.total, current.users, failures.users, isApproximate(users));
      if (users.items.length !== Math.min(50, current.users)) {
        failures.users.push(`page holds ${users.items.length} items, expected ${Math.min(50, current.users)}`);
      }
    }

    const byName = await sql<Array<{ name: string; n: string; sessions: string; users: string }>>`
      select event_name as name, count(*)::text as n, count(distinct session_id)::text as sessions,
             count(distinct person_num)::text as users
      from (${sql.unsafe(EVENTS_WITH_PERSON)}) e where project_id = ${projectId} and timestamp >= ${from} and timestamp < ${to}
      group by event_name order by count(*) desc, event_name`;
    const names = new Map(byName.map((r) => [r.name, r]));
    if (overview && overview.topEvent !== (byName[0]?.name ?? null)) {
      failures.overview.push(`topEvent is ${overview.topEvent}, SQL says ${byName[0]?.name ?? null}`);
    }
    if (topEvents && topEvents.length !== Math.min(10, byName.length)) {
      failures.topEvents.push(`${topEvents.length} rows, expected ${Math.min(10, byName.length)}`);
    }
    for (const item of topEvents ?? []) {
      const want = names.get(item.eventName);
      if (!want) {
        failures.topEvents.push(`${item.eventName} is not in the range`);
        continue;
      }
      sameCount(`${item.eventName}.count`, item.count, Number(want.n), failures.topEvents);
      sameCount(
        `${item.eventName}.uniqueSessions`,
        item.uniqueSessions,
        Number(want.sessions),
        failures.topEvents,
        isApproximate(item),
      );
      sameCount(
        `${item.eventName}.uniqueUsers`,
        item.uniqueUsers,
        Number(want.users),
        failures.topEvents,
        isApproximate(item),
      );
    }

    const byPath = await sql<Array<{ value: string | null; n: string; sessions: string }>>`
      select path as value, count(*)::text as n, count(distinct session_id)::text as sessions
      from events where project_id = ${projectId} and timestamp >= ${from} and timestamp < ${to}
      group by path`;
    const paths = new Map(byPath.map((r) => [r.value, r]));
    for (const item of breakdown ?? []) {
      const want = paths.get(item.value);
      if (!want) {
        failures.breakdown.push(`path ${item.value} is not in the range`);
        continue;
      }
      sameCount(`${item.value}.count`, item.count, Number(want.n), failures.breakdown);
      sameCount(
        `${item.value}.uniqueSessions`,
        item.uniqueSessions,
        Number(want.sessions),
        failures.breakdown,
        isApproximate(item),
      );
    }

    // Buckets in UTC (the default timezone), at the granularity the API chose.
    if (!timeseries) return;
    const unit = timeseries.granularity === "day" ? "day" : "hour";
    const buckets = await sql<Array<{ bucket: Date; n: string; sessions: string }>>`
      select date_trunc(${unit}, timestamp at time zone 'UTC') at time zone 'UTC' as bucket, count(*)::text as n,
             count(distinct session_id)::text as sessions
      from events where project_id = ${projectId} and timestamp >= ${from} and timestamp < ${to}
      group by 1`;
    const byBucket = new Map(buckets.map((b) => [b.bucket.getTime(), b]));
    let sum = 0;
    for (const point of timeseries.points) {
      const want = byBucket.get(Date.parse(point.timestamp));
      sum += Number(point.count);
      sameCount(`${point.timestamp}.count`, point.count, Number(want?.n ?? 0), failures.timeseries);
      sameCount(
        `${point.timestamp}.uniqueSessions`,
        point.uniqueSessions,
        Number(want?.sessions ?? 0),
        failures.timeseries,
        isApproximate(point),
      );
    }
    if (sum !== current.total) failures.timeseries.push(`points sum to ${sum}, SQL total is ${current.total}`);
  });
  for (const key of PROCEDURES) failures[key] = failures[key].slice(0, 5);
  return failures;
}
