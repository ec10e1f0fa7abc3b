/**
 * Looks at the analytics queries on a loaded database: for every procedure and period, the wall time of the query
 * function (p50/p95 of warm runs) and, with --plans, PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of the statement it
 * sends. For tuning, next to `bun run seed -- --direct`:
 *
 *   bun scripts/explain-analytics.ts --database-url <url> --project-id <uuid> [--runs 10] [--plans] [--only overview]
 */
import { parseArgs } from "node:util";
import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { getBreakdown } from "../server/analytics/get-breakdown.ts";
import { getOverview } from "../server/analytics/get-overview.ts";
import { getSessions } from "../server/analytics/get-sessions.ts";
import { getTimeseries } from "../server/analytics/get-timeseries.ts";
import { getTopEvents } from "../server/analytics/get-top-events.ts";
import { getUsers } from "../server/analytics/get-users.ts";
import type { Database } from "../server/db/client.ts";
import * as schema from "../server/db/schema/index.ts";
import type { AnalyticsFilter } from "../shared/analytics.ts";
import { ANALYTICS_PERIODS, type AnalyticsPeriod } from "../shared/analytics-constants.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "database-url": { type: "string" },
    "project-id": { type: "string" },
    runs: { type: "string", default: "10" },
    plans: { type: "boolean", default: false },
    only: { type: "string" },
    timezone: { type: "string" },
    filter: { type: "string" },
  },
});
if (!args["database-url"] || !args["project-id"]) {
  console.error(
    "usage: bun scripts/explain-analytics.ts --database-url <url> --project-id <uuid> [--runs 10] [--plans] [--only <procedure>] [--timezone Asia/Kolkata] [--filter path=/pricing]",
  );
  process.exit(2);
}
const projectId = args["project-id"];
const runs = Number(args.runs);
const filters: AnalyticsFilter[] | undefined = args.filter
  ? [{ dimension: args.filter.split("=")[0] as "path", op: "eq", value: args.filter.split("=").slice(1).join("=") }]
  : undefined;

const client = postgres(args["database-url"], { max: 2, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
const dialect = new PgDialect({ casing: "snake_case" });

/**
 * A Database that prints the plan of every statement before running it, in transactions too (queryStatsRows runs
 * rollup-served statements in one, with its own settings, so the plan printed is the plan that runs).
 */
function explainingDatabase(target: Database): Database {
  return new Proxy(target, {
    get(inner, property, receiver) {
      if (property === "transaction") {
        return (run: (tx: Database) => Promise<unknown>) =>
          inner.transaction((tx) => run(explainingDatabase(tx as unknown as Database)));
      }
      if (property !== "execute") return Reflect.get(inner, property, receiver);
      return async (query: SQL) => {
        if (!/^\s*(with|select)\b/i.test(dialect.sqlToQuery(query).sql)) return inner.execute(query);
        const rows = await inner.execute(sql`explain (analyze, buffers) ${query}`);
        console.log((rows as unknown as Array<{ "QUERY PLAN": string }>).map((row) => row["QUERY PLAN"]).join("\n"));
        return inner.execute(query);
      };
    },
  });
}
const explaining = explainingDatabase(db);

const procedures: Record<string, (database: Database, period: AnalyticsPeriod) => Promise<unknown>> = {
  overview: (d, period) => getOverview(d, { projectId, period, filters, timezone: args.timezone }),
  timeseries: (d, period) => getTimeseries(d, { projectId, period, filters, timezone: args.timezone }),
  topEvents: (d, period) => getTopEvents(d, { projectId, period, filters, limit: 10 }),
  breakdown: (d, period) => getBreakdown(d, { projectId, period, filters, dimension: "path", limit: 10 }),
  sessions: (d, period) => getSessions(d, { projectId, period, filters, limit: 50, offset: 0 }),
  users: (d, period) => getUsers(d, { projectId, period, filters, limit: 50, offset: 0 }),
};

const percentile = (values: number[], p: number) => {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

try {
  const [count] = await client<
    Array<{ n: string }>
  >`select count(*)::text as n from events where project_id = ${projectId}`;
  console.log(
    `${Number(count?.n).toLocaleString("en-US")} events in project ${projectId}${filters ? `, filter ${args.filter}` : ""}`,
  );
  console.log("procedure    period   p50 ms   p95 ms");
  for (const [name, run] of Object.entries(procedures)) {
    if (args.only && args.only !== name) continue;
    for (const period of ANALYTICS_PERIODS) {
      if (args.plans) {
        console.log(`\n=== ${name} ${period} ===`);
        await run(explaining, period);
      }
      await run(db, period);
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await run(db, period);
        samples.push(performance.now() - started);
      }
      console.log(
        `${name.padEnd(12)} ${period.padEnd(6)} ${percentile(samples, 50).toFixed(1).padStart(8)} ${percentile(samples, 95).toFixed(1).padStart(8)}`,
      );
    }
  }
} finally {
  await client.end();
}
