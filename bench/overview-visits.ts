/**
 * Overview with its visit metrics, called in process (no HTTP, no tRPC), on a database the seed filled:
 *   bun bench/overview-visits.ts <postgres-url> <project-id>
 * Over the last 7, 30 and 90 days, unfiltered and with filters: one cold call (a fresh engine, empty column cache),
 * then seven warm ones (median and max). Run from an older checkout for the "before" numbers (getOverview has the
 * same signature there).
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { QueryEngine } from "../server/analytics/engine/query-engine.ts";
import { getOverview } from "../server/analytics/get-overview.ts";
import type { Database } from "../server/db/client.ts";
import * as schema from "../server/db/schema/index.ts";
import type { AnalyticsFilter } from "../shared/analytics.ts";

const [url, projectId] = process.argv.slice(2);
if (!url || !projectId) {
  console.error("usage: bun bench/overview-visits.ts <postgres-url> <project-id>");
  process.exit(2);
}
const client = postgres(url, { max: 4, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
const DAY = 86_400_000;
const now = Date.now();

const CASES: Record<string, AnalyticsFilter[]> = {
  unfiltered: [],
  "path eq": [{ dimension: "path", op: "eq", value: "/pricing" }],
  "path neq": [{ dimension: "path", op: "neq", value: "/pricing" }],
  "3 mixed": [
    { dimension: "browser", op: "eq", value: "Chrome" },
    { dimension: "utm_source", op: "eq", value: "google" },
    { dimension: "property:plan", op: "neq", value: "pro" },
  ],
};

for (const days of [7, 30, 90]) {
  for (const [name, filters] of Object.entries(CASES)) {
    const engine = new QueryEngine({ cacheBytes: 1024 * 1024 * 1024 });
    const input = {
      projectId,
      from: new Date(now - days * DAY).toISOString(),
      to: new Date(now).toISOString(),
      filters,
    };
    const runs: number[] = [];
    let visits: unknown;
    for (let i = 0; i < 8; i++) {
      const started = performance.now();
      const overview = await getOverview(db, input, now, engine);
      runs.push(performance.now() - started);
      visits = (overview as { visits?: number }).visits;
    }
    const warm = runs.slice(1).sort((a, b) => a - b);
    console.log(
      `${`${days}d ${name}`.padEnd(18)} cold ${runs[0]!.toFixed(0).padStart(5)} ms   warm median ${warm[3]!.toFixed(1).padStart(6)}   max ${warm[6]!.toFixed(1).padStart(6)}   visits ${visits ?? "-"}`,
    );
  }
}
await client.end();
