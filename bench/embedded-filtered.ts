/**
 * Embedded mode (PGlite) with filters: the seed's events stored through the worker's own path (storeEvents: the
 * JSON insert PGlite uses, applyRollups and the engine's segments in one transaction per chunk), the compactor run
 * once, then some filter cases of the filtered part timed through the same readers the API calls (in process, as
 * `bun start` runs them), each answer checked against plain SQL over the same PGlite `events`.
 *
 *   bun bench/embedded-filtered.ts [--events 1000000] [--cases path_eq,mixed_3] [--out bench/results/embedded-filtered.json]
 *
 * The data folder is a temporary one, removed at the end (--keep keeps it and prints where).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateSeedRows } from "../scripts/seed/event-rows.ts";
import { compactProject } from "../server/analytics/engine/compact-segments.ts";
import { QueryEngine } from "../server/analytics/engine/query-engine.ts";
import { SEGMENT_CAPACITY } from "../server/analytics/engine/segment-layout.ts";
import { type DatabaseHandle, openDatabase } from "../server/db/client.ts";
import type { EventRow } from "../server/db/events-columns.ts";
import { migrateDatabase } from "../server/db/migrate.ts";
import { projects, users } from "../server/db/schema/index.ts";
import { storeEvents } from "../server/pipeline/store/store-events.ts";
import { ensurePersonalTeam } from "../server/queries/teams/ensure-personal-team.ts";
import {
  type BaselineSource,
  directCaller,
  EVENTS_WITH_PERSON,
  filteredCases,
  measureCell,
} from "./lib/filtered-queries.ts";
import { FILTERED_PERIODS, type FilteredTiming, PROCEDURES } from "./lib/report.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    events: { type: "string", default: "1000000" },
    cases: { type: "string", default: "path_eq,path_contains_tail,property_eq,mixed_3,path_in_3,order_id_eq" },
    out: { type: "string", default: "bench/results/embedded-filtered.json" },
    keep: { type: "boolean", default: false },
  },
  strict: true,
});
const count = Number(values.events!.replaceAll("_", ""));
const wanted = values.cases!.split(",").map((c) => c.trim());

function pgliteBaseline(handle: Extract<DatabaseHandle, { kind: "pglite" }>): BaselineSource {
  return {
    table: "bench_events_people",
    run: async (statements) => {
      const results: Array<Array<Record<string, string | null>>> = [];
      for (const statement of statements) {
        const result = await handle.pglite.query<Record<string, string | null>>(statement.text, statement.params);
        results.push(result.rows);
      }
      return results;
    },
  };
}

const dataDir = await mkdtemp(path.join(tmpdir(), "bench-h3-pglite-"));
const handle = await openDatabase({ dataDir, poolSize: 1 });
if (handle.kind !== "pglite") throw new Error("expected PGlite");
const report: Record<string, unknown> = { events: count, date: new Date().toISOString() };
try {
  await migrateDatabase(handle);
  await handle.pglite.exec("set work_mem = '256MB'");
  const [user] = await handle.db.insert(users).values({ email: "bench@example.test", passwordHash: "x" }).returning();
  const [project] = await handle.db
    .insert(projects)
    .values({
      teamId: await ensurePersonalTeam(handle.db, user!.id),
      name: "embedded bench",
      apiKeyHash: "h",
      apiKeyPrefix: "proj_h",
    })
    .returning();
  const projectId = project!.id;

  // Seed: chunks of SEGMENT_CAPACITY, as `seed --direct` does, each stored the worker's way.
  const started = performance.now();
  let rows: EventRow[] = [];
  let done = 0;
  let lastLog = started;
  for (const row of generateSeedRows(projectId, { count, days: 90, end: Date.now(), seed: 42 })) {
    rows.push(row);
    if (rows.length === SEGMENT_CAPACITY) {
      await storeEvents(handle.db, rows);
      done += rows.length;
      rows = [];
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        const s = (lastLog - started) / 1000;
        console.log(`seed: ${done.toLocaleString("en-US")} events, ${Math.round(done / s)}/s`);
      }
    }
  }
  if (rows.length) await storeEvents(handle.db, rows);
  done += rows.length;
  const seedSeconds = (performance.now() - started) / 1000;
  const merged = await compactProject(handle.db, projectId, { all: true });
  await handle.pglite.exec("vacuum analyze");
  console.log(
    `seed: ${done.toLocaleString("en-US")} events into PGlite in ${seedSeconds.toFixed(1)} s (${Math.round(done / seedSeconds)}/s), ${merged} segments merged`,
  );
  report.seed_s = Math.round(seedSeconds * 10) / 10;
  report.seed_events_s = Math.round(done / seedSeconds);

  const [order] = (
    await handle.pglite.query<{ id: string | null }>(
      `select properties ->> 'order_id' as id from events
        where project_id = $1 and event_name = 'purchase' and timestamp >= now() - interval '7 days'
        order by timestamp limit 1`,
      [projectId],
    )
  ).rows;
  // The default ANALYTICS_ENGINE_CACHE_MB (server/env.ts).
  const engine = new QueryEngine({ cacheBytes: 512 * 1024 * 1024 });
  const call = directCaller(handle.db, engine);
  await handle.pglite.exec(`create view bench_events_people as ${EVENTS_WITH_PERSON}`);
  const source = pgliteBaseline(handle);
  const cases: Array<{ id: string; label: string; periods: Record<string, Record<string, FilteredTiming>> }> = [];
  let failed = 0;
  for (const c of filteredCases(order?.id ?? "ord_0")) {
    if (!wanted.includes(c.id)) continue;
    const entry = { id: c.id, label: c.label, periods: {} as Record<string, Record<string, FilteredTiming>> };
    cases.push(entry);
    for (const period of FILTERED_PERIODS) {
      const cells: Record<string, FilteredTiming> = {};
      entry.periods[period] = cells;
      for (const procedure of PROCEDURES) {
        const { failures, ...cell } = await measureCell(source, {
          call,
          procedure,
          projectId,
          filters: c.filters,
          period,
          samplesWanted: 5,
          budgetMs: 4_000,
        });
        cells[procedure] = cell;
        if (cell.correct === false) {
          failed++;
          console.log(`MISMATCH ${c.id} ${period} ${procedure}: ${failures.join("; ")}`);
        }
      }
      console.log(
        `${c.id} ${period}: ` +
          PROCEDURES.map((p) => {
            const cell = cells[p]!;
            return cell.p95_ms === null
              ? `${p} n/a (${cell.error?.slice(0, 50)})`
              : `${p} ${cell.p95_ms}/${cell.baseline_ms} ms${cell.correct === false ? " WRONG" : ""}`;
          }).join(", "),
      );
    }
  }
  report.cases = cases;
  report.mismatches = failed;
  report.rss_mb = Math.round(process.memoryUsage().rss / 1024 / 1024);
  await Bun.write(values.out!, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`embedded: ${failed} mismatches; results in ${values.out}; RSS ${report.rss_mb} MB`);
} finally {
  await handle.close();
  if (values.keep) console.log(`PGlite data kept in ${dataDir}`);
  else await rm(dataDir, { recursive: true, force: true });
}
