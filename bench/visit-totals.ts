/**
 * The visit figures of overview alone (getVisitTotals: the range and the period before), in process, on a database
 * the seed filled:
 *   bun bench/visit-totals.ts <postgres-url> <project-id>
 * Over the last 1, 7, 30 and 90 days, unfiltered and with `path neq /pricing`: twelve calls on one engine, the
 * first two (column loads, segment folds) left out of the warm median, p90 and max. Run with an older
 * visit-metrics.ts for the "before" numbers (getVisitTotals has the same signature).
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { QueryEngine } from "../server/analytics/engine/query-engine.ts";
import { getVisitTotals } from "../server/analytics/get-visit-totals.ts";
import type { Database } from "../server/db/client.ts";
import * as schema from "../server/db/schema/index.ts";
import type { AnalyticsFilter } from "../shared/analytics.ts";

const [url, projectId] = process.argv.slice(2);
if (!url || !projectId) {
  console.error("usage: bun bench/visit-totals.ts <postgres-url> <project-id>");
  process.exit(2);
}
const client = postgres(url, { max: 4, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
const DAY = 86_400_000;
const now = Date.now();
const engine = new QueryEngine({ cacheBytes: 1024 * 1024 * 1024 });
const CASES: Record<string, AnalyticsFilter[]> = {
  unfiltered: [],
  "path neq": [{ dimension: "path", op: "neq", value: "/pricing" }],
};

for (const days of [1, 7, 30, 90]) {
  for (const [name, filters] of Object.entries(CASES)) {
    const current = { from: now - days * DAY, to: now };
    const previous = { from: now - 2 * days * DAY, to: now - days * DAY };
    const runs: number[] = [];
    let visits = 0;
    for (let i = 0; i < 12; i++) {
      const started = performance.now();
      const [totals] = await getVisitTotals(db, projectId, [current, previous], filters, engine);
      runs.push(performance.now() - started);
      visits = totals!.visits;
    }
    const warm = runs.slice(2).sort((a, b) => a - b);
    const ms = (v: number) => v.toFixed(1).padStart(6);
    console.log(
      `${`${days}d ${name}`.padEnd(16)} first ${ms(runs[0]!)} ms   warm median ${ms(warm[5]!)}   p90 ${ms(warm[8]!)}   max ${ms(warm[9]!)}   visits ${visits}`,
    );
  }
}
await client.end();
