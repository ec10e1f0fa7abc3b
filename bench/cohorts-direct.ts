/**
 * Cohorts on the query engine, called in process (no HTTP, no tRPC), on a database the seed filled:
 *   bun bench/cohorts-direct.ts <postgres-url> <project-id> [samples]
 * Saves a two-condition cohort over the last 30 days (performed page_view at least 3 times, and did not perform
 * signup; both over the engine's columns) in the project, then times, after one cold call, `samples` warm calls
 * (default 20) of: computing its member set, and overview (30 days) filtered by it (resolution plus the engine's
 * filtered overview, as analytics.overview runs them). Warm calls share the process's evaluation (cohort-evaluations.ts:
 * each slides the previous one to its own time); "evaluated afresh" forgets it before each call (the columns stay
 * cached). Prints p50 and p95; the cohort is deleted at the end.
 * The target: p95 < 300 ms at 10 M events for both. Run it on a private PostgreSQL, never the shared one.
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { cohortEvaluationsOf } from "../server/analytics/cohorts/cohort-evaluations.ts";
import { computeCohortMembers } from "../server/analytics/cohorts/compute-cohort-members.ts";
import { resolveCohortFilters } from "../server/analytics/cohorts/resolve-cohort-filters.ts";
import { QueryEngine } from "../server/analytics/engine/query-engine.ts";
import { getOverview } from "../server/analytics/get-overview.ts";
import type { Database } from "../server/db/client.ts";
import * as schema from "../server/db/schema/index.ts";
import type { AnalyticsFilter } from "../shared/analytics.ts";
import type { CohortDefinition } from "../shared/cohorts.ts";
import { percentile } from "./lib/stats.ts";

const [url, projectId, samplesArg] = process.argv.slice(2);
if (!url || !projectId) {
  console.error("usage: bun bench/cohorts-direct.ts <postgres-url> <project-id> [samples]");
  process.exit(2);
}
const samples = Number(samplesArg ?? 20);
const client = postgres(url, { max: 3, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
const engine = new QueryEngine({ cacheBytes: 1024 * 1024 * 1024 });

const definition: CohortDefinition = {
  groups: [
    {
      conditions: [
        {
          type: "performed",
          event: "page_view",
          operator: "at_least",
          count: 3,
          window: { kind: "relative", days: 30 },
        },
        { type: "not_performed", event: "signup", window: { kind: "relative", days: 30 } },
      ],
    },
  ],
};

async function timed(label: string, call: () => Promise<unknown>): Promise<void> {
  const cold = performance.now();
  await call();
  const coldMs = performance.now() - cold;
  const runs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await call();
    runs.push(performance.now() - started);
  }
  console.log(
    `${label.padEnd(40)} cold ${coldMs.toFixed(0).padStart(5)} ms   warm p50 ${percentile(runs, 50).toFixed(1).padStart(6)}   p95 ${percentile(runs, 95).toFixed(1).padStart(6)}   (${samples} samples)`,
  );
}

const [row] = await db
  .insert(schema.cohorts)
  .values({ projectId, name: "bench: 3+ page views, no signup (30 days)", definition })
  .returning();
const cohortId = row!.id;
try {
  const [{ n } = { n: 0 }] = await client`select count(*)::int as n from events where project_id = ${projectId}::uuid`;
  console.log(`project ${projectId}: ${n} events`);
  let size = 0;
  await timed("cohort members (2 conditions, 30 days)", async () => {
    size = (
      await computeCohortMembers(db, engine, { projectId, definition, at: Date.now(), cohortId }, async () => null)
    ).size;
  });
  console.log(`  members: ${size}`);
  await timed("cohort members, evaluated afresh", async () => {
    cohortEvaluationsOf(engine).clear();
    await computeCohortMembers(db, engine, { projectId, definition, at: Date.now(), cohortId }, async () => null);
  });
  await timed("overview 30d filtered by the cohort", async () => {
    const filters: AnalyticsFilter[] = [{ dimension: "cohort", op: "in", value: cohortId }];
    await resolveCohortFilters(db, engine, projectId, [filters], Date.now());
    await getOverview(db, { projectId, period: "30d", filters }, Date.now(), engine);
  });
  await timed("overview 30d unfiltered (for scale)", () =>
    getOverview(db, { projectId, period: "30d" }, Date.now(), engine),
  );
} finally {
  await db.execute(sql`delete from cohorts where project_id = ${projectId}::uuid and id = ${cohortId}::uuid`);
  await client.end();
}
