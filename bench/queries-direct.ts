/**
 * The unfiltered dashboard readers alone, called in process (no HTTP, no tRPC) with a query engine, on a database
 * the seed filled:
 *   bun bench/queries-direct.ts <postgres-url> <project-id> [procedure,...] [period,...]
 * For each period and procedure (the bench's queries part: bench/lib/queries.ts, the same inputs), two untimed calls
 * then `SAMPLES` timed ones: p50 and p95. It isolates the readers' cost from the API's while iterating on them.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { QueryEngine } from "../server/analytics/engine/query-engine.ts";
import { getBreakdown } from "../server/analytics/get-breakdown.ts";
import { getOverview } from "../server/analytics/get-overview.ts";
import { getSessions } from "../server/analytics/get-sessions.ts";
import { getTimeseries } from "../server/analytics/get-timeseries.ts";
import { getTopEvents } from "../server/analytics/get-top-events.ts";
import { getUsers } from "../server/analytics/get-users.ts";
import type { Database } from "../server/db/client.ts";
import * as schema from "../server/db/schema/index.ts";
import { percentile, round } from "./lib/stats.ts";

const [url, projectId, procedureList, periodList] = process.argv.slice(2);
if (!url || !projectId) {
  console.error("usage: bun bench/queries-direct.ts <postgres-url> <project-id> [procedure,...] [period,...]");
  process.exit(2);
}
const SAMPLES = Number(process.env.SAMPLES ?? 10);
const client = postgres(url, { max: 10, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
const engine = new QueryEngine({ cacheBytes: 1024 * 1024 * 1024 });

type Period = "24h" | "7d" | "30d" | "90d";
const READERS: Record<string, (period: Period) => Promise<unknown>> = {
  overview: (period) => getOverview(db, { projectId, period }, Date.now(), engine),
  timeseries: (period) => getTimeseries(db, { projectId, period }, Date.now(), engine),
  topEvents: (period) => getTopEvents(db, { projectId, period, limit: 10 }, Date.now(), engine),
  breakdown: (period) => getBreakdown(db, { projectId, period, dimension: "path", limit: 10 }, Date.now(), engine),
  sessions: (period) => getSessions(db, { projectId, period, limit: 50 }, Date.now(), engine),
  users: (period) => getUsers(db, { projectId, period, limit: 50 }, Date.now(), engine),
};
const procedures = procedureList ? procedureList.split(",") : Object.keys(READERS);
const periods = (periodList ? periodList.split(",") : ["24h", "7d", "30d", "90d"]) as Period[];

for (const period of periods) {
  for (const procedure of procedures) {
    const read = READERS[procedure];
    if (!read) throw new Error(`unknown procedure ${procedure}`);
    for (let i = 0; i < 2; i++) await read(period);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const started = performance.now();
      await read(period);
      samples.push(performance.now() - started);
    }
    const p50 = round(percentile(samples, 50), 1);
    const p95 = round(percentile(samples, 95), 1);
    console.log(
      `${procedure.padEnd(10)} ${period.padEnd(4)} p50 ${String(p50).padStart(7)} ms  p95 ${String(p95).padStart(7)} ms`,
    );
  }
}
console.log(`load ${(await Bun.file("/proc/loadavg").text()).trim()}`);
await client.end();
