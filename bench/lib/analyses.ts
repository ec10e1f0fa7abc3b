/**
 * The analyses (the funnels/retention/paths issue's speed targets, and the people issue's person timeline), through
 * tRPC, warm, each next to a straightforward computation over the raw events in the same run: plain SQL that pulls
 * the events the analysis reads (with the person each counts for, as the seed's identifies linked them) and a
 * direct JS walk of the issue's definition, no engine code. The answer must equal the baseline's (a mismatch fails
 * the run); the ratio is the baseline's time over our p95.
 *
 *   funnel_30d / funnel_90d  pricing page -> checkout page -> checkout form -> purchase, people, 1-day window
 *   retention_8w             weekly, any event, 8 periods, cohorts starting in the last 60 days (UTC)
 *   paths_3                  3 steps after the page "/", last 7 days, top 8 per step
 *   person_events            people.events, first page, of the seed's heaviest person (power_0, five aliases)
 */
import type { FunnelResult } from "../../shared/funnel.ts";
import type { Paths } from "../../shared/paths.ts";
import type { Retention } from "../../shared/retention.ts";
import type { TrpcClient } from "./api.ts";
import type { BenchContext } from "./context.ts";
import { EVENTS_WITH_PERSON } from "./filtered-queries.ts";
import type { AnalysisResult, BenchResults } from "./report.ts";
import { percentile, round } from "./stats.ts";

const DAY = 86_400_000;
const FUNNEL_STEPS = [
  { event: "page_view", filters: [{ dimension: "path", op: "eq", value: "/pricing" }] },
  { event: "page_view", filters: [{ dimension: "path", op: "eq", value: "/checkout" }] },
  { event: "form_submit", filters: [{ dimension: "property:form", op: "eq", value: "checkout" }] },
  { event: "purchase" },
] as const;
const WINDOW_SECONDS = 86_400;

interface Baseline {
  ms: number;
  /** What differs between our answer and the baseline's (empty when equal). */
  check(answer: unknown): string[];
}

interface AnalysisCase {
  id: string;
  label: string;
  procedure: string;
  target_ms: number;
  input(now: number): Record<string, unknown>;
  baseline(ctx: BenchContext, projectId: string, input: Record<string, unknown>): Promise<Baseline>;
}

async function timedSql<T>(ctx: BenchContext, run: (sql: BenchContext["sql"]) => Promise<T>) {
  const started = performance.now();
  const result = await ctx.sql.begin(async (tx) => {
    await tx`set local jit = off`;
    await tx`set local work_mem = '256MB'`;
    return run(tx as unknown as BenchContext["sql"]);
  });
  return { ms: performance.now() - started, result: result as T };
}

// Funnel ---------------------------------------------------------------------------------------------------------

/** The issue's definition, walked per person over events sorted by time: best level, medians from its chain. */
function walkFunnel(rows: Array<{ person: string; ts: number; mask: number }>, steps: number, windowMs: number) {
  const counts = new Array<number>(steps).fill(0);
  const gaps: number[][] = Array.from({ length: steps }, () => []);
  let i = 0;
  while (i < rows.length) {
    let j = i;
    while (j < rows.length && rows[j]!.person === rows[i]!.person) j++;
    let best: number[] = [];
    for (let s = i; s < j; s++) {
      if (!(rows[s]!.mask & 1)) continue;
      const chain = [s];
      for (let k = 1; k < steps; k++) {
        const prev = rows[chain[k - 1]!]!;
        // The earliest unused event of step k at or after the previous one (equal times allowed), in the window.
        let next = -1;
        for (let e = i; e < j; e++) {
          const row = rows[e]!;
          if (row.ts < prev.ts || !(row.mask & (1 << k)) || chain.includes(e)) continue;
          if (row.ts > rows[s]!.ts + windowMs) break;
          next = e;
          break;
        }
        if (next < 0) break;
        chain.push(next);
      }
      if (chain.length > best.length) best = chain;
      if (best.length === steps) break;
    }
    for (let k = 0; k < best.length; k++) {
      counts[k]! += 1;
      if (k > 0) gaps[k]!.push((rows[best[k]!]!.ts - rows[best[k - 1]!]!.ts) / 1000);
    }
    i = j;
  }
  const median = (list: number[]) => {
    if (!list.length) return null;
    const sorted = list.toSorted((a, b) => a - b);
    const m = sorted.length >> 1;
    return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
  };
  return counts.map((count, k) => ({ count, median: k === 0 ? null : median(gaps[k]!) }));
}

function funnelCase(days: number, target: number): AnalysisCase {
  return {
    id: `funnel_${days}d`,
    label: `funnel of 4 steps over ${days} days`,
    procedure: "analytics.funnel",
    target_ms: target,
    input: (now) => ({
      from: new Date(now - days * DAY).toISOString(),
      to: new Date(now).toISOString(),
      steps: FUNNEL_STEPS,
      windowSeconds: WINDOW_SECONDS,
    }),
    baseline: async (ctx, projectId, input) => {
      const { ms, result } = await timedSql(ctx, async (sql) => {
        const rows = await sql<Array<{ person: string; ts: number; mask: number }>>`
          select person_num::text as person, (extract(epoch from timestamp) * 1000)::float8 as ts,
                 (case when event_name = 'page_view' and path = '/pricing' then 1 else 0 end
                  + case when event_name = 'page_view' and path = '/checkout' then 2 else 0 end
                  + case when event_name = 'form_submit' and properties ->> 'form' = 'checkout' then 4 else 0 end
                  + case when event_name = 'purchase' then 8 else 0 end) as mask
            from (${sql.unsafe(EVENTS_WITH_PERSON)}) e
           where project_id = ${projectId} and timestamp >= ${input.from as string} and timestamp < ${input.to as string}
             and event_name in ('page_view', 'form_submit', 'purchase') and person_num is not null
           order by person_num, timestamp`;
        return walkFunnel(
          rows.filter((r) => r.mask > 0).map((r) => ({ person: r.person, ts: Number(r.ts), mask: Number(r.mask) })),
          FUNNEL_STEPS.length,
          WINDOW_SECONDS * 1000,
        );
      });
      return {
        ms,
        check: (answer) =>
          (answer as FunnelResult).steps.flatMap((step, k) => {
            const want = result[k]!;
            const problems: string[] = [];
            if (step.count !== want.count) problems.push(`step ${k + 1} count ${step.count}, baseline ${want.count}`);
            if (step.medianSecondsFromPrevious !== want.median)
              problems.push(`step ${k + 1} median ${step.medianSecondsFromPrevious}, baseline ${want.median}`);
            return problems;
          }),
      };
    },
  };
}

// Retention ------------------------------------------------------------------------------------------------------

const retentionCase: AnalysisCase = {
  id: "retention_8w",
  label: "retention, 8 weekly periods, cohorts of the last 60 days",
  procedure: "analytics.retention",
  target_ms: 500,
  input: (now) => ({
    from: new Date(now - 60 * DAY).toISOString(),
    to: new Date(now).toISOString(),
    timezone: "UTC",
    interval: "week",
    periods: 8,
  }),
  baseline: async (ctx, projectId, input) => {
    const { ms, result } = await timedSql(ctx, async (sql) => {
      // Weeks start on Monday (date_trunc's week); a cohort's start week must begin in [from, to).
      return sql<Array<{ start: string; k: number; people: string }>>`
        with weeks as (
          select person_num as person, date_trunc('week', timestamp at time zone 'UTC') as week
            from (${sql.unsafe(EVENTS_WITH_PERSON)}) e
           where project_id = ${projectId} and person_num is not null and timestamp < ${input.to as string}
           group by 1, 2),
        first as (select person, min(week) as start from weeks group by 1)
        select to_char(f.start, 'YYYY-MM-DD') as start, ((w.week::date - f.start::date) / 7)::int as k,
               count(*)::text as people
          from first f join weeks w using (person)
         where f.start >= date_trunc('week', ${input.from as string}::timestamptz at time zone 'UTC')
               and (f.start at time zone 'UTC') >= ${input.from as string}::timestamptz
               and (f.start at time zone 'UTC') < ${input.to as string}::timestamptz
               and w.week >= f.start and (w.week::date - f.start::date) / 7 <= 8
         group by 1, 2`;
    });
    const want = new Map<string, number[]>();
    for (const row of result) {
      const list = want.get(row.start) ?? [];
      list[row.k] = Number(row.people);
      want.set(row.start, list);
    }
    return {
      ms,
      check: (answer) => {
        const problems: string[] = [];
        const cohorts = (answer as Retention).cohorts.filter((c) => c.size > 0);
        if (cohorts.length !== want.size) problems.push(`${cohorts.length} cohorts, baseline ${want.size}`);
        for (const cohort of cohorts) {
          const expected = want.get(cohort.start.slice(0, 10)) ?? [];
          cohort.returned.forEach((n, k) => {
            if (n !== (expected[k] ?? 0))
              problems.push(`cohort ${cohort.start.slice(0, 10)} week ${k}: ${n}, baseline ${expected[k] ?? 0}`);
          });
        }
        return problems.slice(0, 5);
      },
    };
  },
};

// Paths ----------------------------------------------------------------------------------------------------------

const PATH_STEPS = 3;
const PATH_LIMIT = 8;
const pathsCase: AnalysisCase = {
  id: "paths_3",
  label: 'paths, 3 steps after "/", last 7 days',
  procedure: "analytics.paths",
  target_ms: 500,
  input: (now) => ({
    from: new Date(now - 7 * DAY).toISOString(),
    to: new Date(now).toISOString(),
    start: { kind: "page", value: "/" },
    direction: "after",
    steps: PATH_STEPS,
    limitPerStep: PATH_LIMIT,
  }),
  baseline: async (ctx, projectId, input) => {
    const { ms, result } = await timedSql(ctx, async (sql) => {
      // The seed's sessions last minutes: a day before the range holds every earlier page of theirs.
      const rows = await sql<Array<{ session: string; path: string; ts: number }>>`
        select session_id as session, path, (extract(epoch from timestamp) * 1000)::float8 as ts
          from events
         where project_id = ${projectId} and event_name = 'page_view' and path is not null and path <> ''
           and session_id is not null and session_id <> ''
           and timestamp >= ${new Date(Date.parse(input.from as string) - DAY).toISOString()}
           and timestamp < ${input.to as string}
         order by session_id, timestamp, path collate "C"`;
      const from = Date.parse(input.from as string);
      // Per step, how many sessions have each value there ("(end)" once they run out).
      const perStep = Array.from({ length: PATH_STEPS + 1 }, () => new Map<string, number>());
      let i = 0;
      while (i < rows.length) {
        let j = i;
        while (j < rows.length && rows[j]!.session === rows[i]!.session) j++;
        const walk: Array<{ path: string; ts: number }> = [];
        for (let e = i; e < j; e++) if (walk.at(-1)?.path !== rows[e]!.path) walk.push(rows[e]!);
        const start = walk.findIndex((w) => w.path === "/");
        if (start >= 0 && Number(walk[start]!.ts) >= from) {
          for (let k = 0; k <= PATH_STEPS; k++) {
            const value = walk[start + k]?.path ?? "(end)";
            perStep[k]!.set(value, (perStep[k]!.get(value) ?? 0) + 1);
            if (value === "(end)") break;
          }
        }
        i = j;
      }
      return perStep;
    });
    return {
      ms,
      check: (answer) => {
        const problems: string[] = [];
        for (let k = 0; k <= PATH_STEPS; k++) {
          const nodes = (answer as Paths).nodes.filter((n) => n.step === k);
          const counts = result[k]!;
          const kept = nodes.filter((n) => n.value !== "$other" && n.value !== "(end)");
          for (const node of kept)
            if (counts.get(node.value) !== node.sessions)
              problems.push(`step ${k} ${node.value}: ${node.sessions}, baseline ${counts.get(node.value) ?? 0}`);
          const smallestKept = Math.min(...kept.map((n) => n.sessions));
          const passedOver = [...counts].filter(
            ([value, n]) => value !== "(end)" && !kept.some((x) => x.value === value) && n > smallestKept,
          );
          if (passedOver.length) problems.push(`step ${k}: ${passedOver[0]![0]} has more sessions than a kept value`);
          const other = [...counts]
            .filter(([value]) => value !== "(end)" && !kept.some((x) => x.value === value))
            .reduce((sum, [, n]) => sum + n, 0);
          const gotOther = nodes.find((n) => n.value === "$other")?.sessions ?? 0;
          if (gotOther !== other) problems.push(`step ${k} $other: ${gotOther}, baseline ${other}`);
          const gotEnd = nodes.find((n) => n.value === "(end)")?.sessions ?? 0;
          if (gotEnd !== (counts.get("(end)") ?? 0))
            problems.push(`step ${k} (end): ${gotEnd}, baseline ${counts.get("(end)") ?? 0}`);
        }
        return problems.slice(0, 5);
      },
    };
  },
};

// The person timeline --------------------------------------------------------------------------------------------

const personEventsCase: AnalysisCase = {
  id: "person_events",
  label: "people.events of a person with five aliases (power_0), first page",
  procedure: "people.events",
  target_ms: 100,
  input: () => ({ distinctId: "power_0" }),
  baseline: async (ctx, projectId) => {
    const { ms, result } = await timedSql(ctx, async (sql) => {
      return sql<Array<{ name: string; ts: string }>>`
        select event_name as name, to_char(timestamp at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts
          from (${sql.unsafe(EVENTS_WITH_PERSON)}) e
         where project_id = ${projectId}
           and person_num = (select coalesce(l.person_num, u.num) from analytics_users u
                               left join analytics_person_links l on l.project_id = u.project_id and l.alias_num = u.num
                              where u.project_id = ${projectId} and u.distinct_id = 'power_0')
         order by timestamp desc limit 50`;
    });
    return {
      ms,
      check: (answer) => {
        const items = (answer as { items: Array<{ name: string; timestamp: string }> }).items;
        const problems: string[] = [];
        if (items.length !== result.length) problems.push(`${items.length} events, baseline ${result.length}`);
        items.forEach((item, k) => {
          if (item.timestamp !== result[k]?.ts)
            problems.push(`event ${k} at ${item.timestamp}, baseline ${result[k]?.ts}`);
        });
        return problems.slice(0, 5);
      },
    };
  },
};

export const ANALYSIS_CASES: AnalysisCase[] = [
  funnelCase(30, 500),
  funnelCase(90, 2_000),
  retentionCase,
  pathsCase,
  personEventsCase,
];

export interface AnalysesOptions {
  client: TrpcClient;
  projectId: string;
  results: BenchResults;
  quick: boolean;
}

/** Every case: warm-up, then timed calls (up to 20 within 6 s; 5 within 4 s quick), then the baseline check. */
export async function measureAnalyses(ctx: BenchContext, options: AnalysesOptions): Promise<void> {
  const now = Date.now();
  const samplesWanted = options.quick ? 5 : 20;
  const budgetMs = options.quick ? 4_000 : 6_000;
  for (const c of ANALYSIS_CASES) {
    const input = { projectId: options.projectId, ...c.input(now) };
    const entry: AnalysisResult = {
      id: c.id,
      label: c.label,
      target_ms: c.target_ms,
      p50_ms: null,
      p95_ms: null,
      samples: 0,
      baseline_ms: null,
      ratio: null,
      correct: null,
      failures: [],
    };
    options.results.analyses.push(entry);
    try {
      let answer = await options.client.query(c.procedure, input);
      const times: number[] = [];
      const started = performance.now();
      while (times.length < samplesWanted && performance.now() - started < budgetMs) {
        const t0 = performance.now();
        answer = await options.client.query(c.procedure, input);
        times.push(performance.now() - t0);
      }
      entry.samples = times.length;
      entry.p50_ms = round(percentile(times, 50), 1);
      entry.p95_ms = round(percentile(times, 95), 1);
      const baseline = await c.baseline(ctx, options.projectId, input);
      entry.baseline_ms = round(baseline.ms, 1);
      entry.ratio = entry.p95_ms ? round(baseline.ms / entry.p95_ms, 1) : null;
      entry.failures = baseline.check(answer);
      entry.correct = entry.failures.length === 0;
      ctx.log(
        `analyses: ${c.id} p95 ${entry.p95_ms} ms (target ${c.target_ms}), baseline ${entry.baseline_ms} ms, ${
          entry.correct ? "equal" : `DIFFERENT: ${entry.failures[0]}`
        }`,
      );
    } catch (error) {
      entry.failures = [error instanceof Error ? error.message : String(error)];
      entry.correct = false;
      ctx.log(`analyses: ${c.id} FAILED: ${entry.failures[0]}`);
    }
  }
}
