/**
 * The query engine alone, called in process (no HTTP, no tRPC), on a database the seed filled:
 *   bun bench/engine-direct.ts <postgres-url> <project-id>
 * For each filter case, over the last 30 and 90 days, the four engine-served questions (overview's two periods and
 * top event, topEvents with sessions and people, a path breakdown, a daily timeseries): one cold call, then three
 * warm ones (median and max). It isolates the engine's cost from the API's, for bench/README.md.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { QueryEngine } from "../server/analytics/engine/query-engine.ts";
import type { Database } from "../server/db/client.ts";
import * as schema from "../server/db/schema/index.ts";
import type { AnalyticsFilter } from "../shared/analytics.ts";

const [url, projectId] = process.argv.slice(2);
if (!url || !projectId) {
  console.error("usage: bun bench/engine-direct.ts <postgres-url> <project-id>");
  process.exit(2);
}
const client = postgres(url, { max: 3, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
const engine = new QueryEngine({ cacheBytes: 1024 * 1024 * 1024 });
const DAY = 86_400_000;
const now = Date.now();

const CASES: Record<string, AnalyticsFilter[]> = {
  "path eq": [{ dimension: "path", op: "eq", value: "/pricing" }],
  "path neq": [{ dimension: "path", op: "neq", value: "/pricing" }],
  "path contains": [{ dimension: "path", op: "contains", value: "page-12" }],
  "property eq": [{ dimension: "property:plan", op: "eq", value: "pro" }],
  "3 mixed": [
    { dimension: "browser", op: "eq", value: "Chrome" },
    { dimension: "utm_source", op: "eq", value: "google" },
    { dimension: "property:plan", op: "neq", value: "pro" },
  ],
  "in 3 paths": [{ dimension: "path", op: "in", values: ["/pricing", "/signup", "/docs"] }],
  "20 neq": Array.from({ length: 20 }, (_, i) => ({
    dimension: "path" as const,
    op: "neq" as const,
    value: `/nope-${i}`,
  })),
};

async function time(label: string, call: () => Promise<unknown>): Promise<void> {
  const runs: number[] = [];
  for (let i = 0; i < 4; i++) {
    const started = performance.now();
    await call();
    runs.push(performance.now() - started);
  }
  const warm = runs.slice(1).sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} cold ${runs[0]!.toFixed(0).padStart(5)} ms   warm median ${warm[1]!.toFixed(1).padStart(6)}   max ${warm[2]!.toFixed(1).padStart(6)}`,
  );
}

for (const days of [30, 90]) {
  const range = { from: now - days * DAY, to: now };
  const previous = { from: range.from - days * DAY, to: range.from };
  const daily = Array.from({ length: days }, (_, d) => ({
    from: range.from + d * DAY,
    to: range.from + (d + 1) * DAY,
  }));
  for (const [name, filters] of Object.entries(CASES)) {
    await time(`${days}d ${name} overview`, async () => {
      await engine.totals(db, projectId, [range, previous], filters, { sessions: true, people: true });
      await engine.topValues(db, projectId, range, filters, "event_name", 1, { sessions: false, people: false });
    });
    await time(`${days}d ${name} topEvents`, () =>
      engine.topValues(db, projectId, range, filters, "event_name", 10, { sessions: true, people: true }),
    );
    await time(`${days}d ${name} breakdown path`, () =>
      engine.topValues(db, projectId, range, filters, "path", 10, { sessions: true, people: false }),
    );
    await time(`${days}d ${name} timeseries`, () =>
      engine.totals(db, projectId, daily, filters, { sessions: true, people: false }),
    );
  }
}
console.log(`column cache: ${engine.cacheSize.entries} columns, ${(engine.cacheSize.bytes / 1e6).toFixed(0)} MB`);
await client.end();
