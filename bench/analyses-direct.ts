/**
 * The analyses' readers alone, called in process (no HTTP, no tRPC), on a database the seed filled (a database kept
 * by `bun run bench -- --only analyses --keep-database`):
 *   bun bench/analyses-direct.ts <postgres-url> <project-id> [--runs 10] [--only funnel_30d,retention_8w] [--now <iso>]
 * The bench's inputs (bench/lib/analyses.ts ANALYSIS_CASES, same `now` rule: the time of the run), one cold call
 * each, then `runs` warm ones (p50 and p95). It isolates the readers' cost from the API's, and under `bun
 * --cpu-prof` shows where their time goes; before/after comparisons of a change run it on the same kept database.
 */
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { QueryEngine } from "../server/analytics/engine/query-engine.ts";
import { getFunnel } from "../server/analytics/funnels/get-funnel.ts";
import { getPaths } from "../server/analytics/paths/get-paths.ts";
import { getRetention } from "../server/analytics/retention/get-retention.ts";
import type { Database } from "../server/db/client.ts";
import * as schema from "../server/db/schema/index.ts";
import { funnelInputSchema } from "../shared/funnel.ts";
import { pathsInputSchema } from "../shared/paths.ts";
import { retentionInputSchema } from "../shared/retention.ts";
import { ANALYSIS_CASES } from "./lib/analyses.ts";
import { percentile } from "./lib/stats.ts";

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: { runs: { type: "string", default: "10" }, only: { type: "string" }, now: { type: "string" } },
});
const [url, projectId] = positionals;
if (!url || !projectId) {
  console.error("usage: bun bench/analyses-direct.ts <postgres-url> <project-id> [--runs 10] [--only <ids>]");
  process.exit(2);
}
const client = postgres(url, { max: 3, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
const engine = new QueryEngine({ cacheBytes: 1024 * 1024 * 1024 });
// --now <ISO time>: ranges end there instead (profiling a database the seed is still filling, oldest days first).
const now = values.now ? Date.parse(values.now) : Date.now();
const only = values.only?.split(",");

const readers: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
  "analytics.funnel": (input) => getFunnel(db, engine, funnelInputSchema.parse(input), now),
  "analytics.retention": (input) => getRetention(db, retentionInputSchema.parse(input), now, engine),
  "analytics.paths": (input) => getPaths(db, pathsInputSchema.parse(input), now, engine),
};

for (const c of ANALYSIS_CASES) {
  const read = readers[c.procedure];
  if (!read || (only && !only.includes(c.id))) continue;
  const input = { projectId, ...c.input(now) };
  let started = performance.now();
  await read(input);
  const cold = performance.now() - started;
  const warm: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    started = performance.now();
    const cpuStart = process.cpuUsage();
    await read(input);
    warm.push(performance.now() - started);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  console.log(
    `${c.id.padEnd(14)} cold ${cold.toFixed(0).padStart(6)} ms   warm p50 ${percentile(warm, 50).toFixed(1).padStart(7)}   p95 ${percentile(warm, 95).toFixed(1).padStart(7)}   CPU p50 ${percentile(cpu, 50).toFixed(1).padStart(7)}   (target ${c.target_ms})`,
  );
}
console.log(`column cache: ${engine.cacheSize.entries} columns, ${(engine.cacheSize.bytes / 1e6).toFixed(0)} MB`);
await client.end();
