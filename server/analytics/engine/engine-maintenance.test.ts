import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";
import { createLogger } from "../../logger.ts";
import { deletePerson } from "../../pipeline/people/delete-person.ts";
import { generateTestEvents, shuffled, storeTestEvents } from "../../test-support/analytics-test-data.ts";
import { DATABASE_KINDS, type EitherDatabase, openEitherDatabase } from "../../test-support/either-database.ts";
import { projectsDueForCompaction, SMALL_SEGMENT } from "./compact-segments.ts";
import { startEngineMaintenance } from "./engine-maintenance.ts";
import { QueryEngine } from "./query-engine.ts";

// The maintenance loop beside the worker merges the writer's many small segments into few, answers stay exact, and
// once stopped it does nothing more.
const BASE = Date.UTC(2026, 2, 1);
const RANGE = { from: BASE, to: BASE + 5 * 86_400_000 };

async function segmentCount(db: Database, projectId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from analytics_segments where project_id = ${projectId}::uuid`,
  );
  return row!.n;
}

async function oracleTotals(db: Database, projectId: string) {
  const [row] = await queryRows<{ n: number; s: number; u: number }>(
    db,
    sql`select count(*)::int as n, count(distinct nullif(session_id, ''))::int as s,
               count(distinct nullif(distinct_id, ''))::int as u
          from events where project_id = ${projectId}::uuid and timestamp >= ${new Date(RANGE.from).toISOString()}::timestamptz
           and timestamp < ${new Date(RANGE.to).toISOString()}::timestamptz and path is distinct from '/docs'`,
  );
  return [{ events: row!.n, sessions: row!.s, people: row!.u }];
}

describe.each(DATABASE_KINDS)("engine maintenance on %s", (kind) => {
  let database: EitherDatabase;
  let db: Database;
  let projectId: string;

  beforeAll(async () => {
    database = await openEitherDatabase(kind);
    db = database.db;
    projectId = await database.createProject("maintenance");
  }, 120_000);

  afterAll(async () => {
    await database.close();
  });

  it("compacts the writer's small segments into few while it runs, and nothing after it stopped", async () => {
    const rows = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((seed) =>
      generateTestEvents(projectId, BASE, 5, seed).map((row) => ({ ...row, insertId: crypto.randomUUID() })),
    );
    expect(rows.length).toBeGreaterThan(SMALL_SEGMENT);
    await storeTestEvents(db, shuffled(rows), 400);
    const small = await segmentCount(db, projectId);
    expect(small).toBeGreaterThanOrEqual(40);
    const engine = new QueryEngine({ cacheBytes: 64 << 20 });
    const filters = [{ dimension: "path", op: "neq", value: "/docs" }] as const;
    const want = { sessions: true, people: true };
    expect(await engine.totals(db, projectId, [RANGE], filters, want)).toEqual(await oracleTotals(db, projectId));

    const maintenance = startEngineMaintenance(
      { db, logger: createLogger("silent") },
      { intervalMs: 20, embedded: kind === "pglite" },
    );
    try {
      for (let waited = 0; (await segmentCount(db, projectId)) > 1; waited += 50) {
        if (waited > 60_000) throw new Error("no compaction within 60 s");
        await Bun.sleep(50);
      }
    } finally {
      await maintenance.stop();
    }
    expect(await engine.totals(db, projectId, [RANGE], filters, want)).toEqual(await oracleTotals(db, projectId));

    // Stopped: new small segments, due for merging, stay as they are.
    const more = [21, 22, 23, 24, 25, 26, 27, 28].flatMap((seed) =>
      generateTestEvents(projectId, BASE, 5, seed).map((row) => ({ ...row, insertId: crypto.randomUUID() })),
    );
    await storeTestEvents(db, more, 500);
    expect(await projectsDueForCompaction(db)).toContain(projectId);
    const after = await segmentCount(db, projectId);
    await Bun.sleep(200);
    expect(await segmentCount(db, projectId)).toBe(after);
  }, 180_000);

  it("purges a deleted person's slots from the segments while it runs; answers stay those without the person", async () => {
    const [top] = await queryRows<{ distinct_id: string }>(
      db,
      sql`select distinct_id from events where project_id = ${projectId}::uuid and distinct_id <> ''
           group by 1 order by count(*) desc limit 1`,
    );
    const engine = new QueryEngine({ cacheBytes: 64 << 20 });
    const filters = [{ dimension: "path", op: "neq", value: "/docs" }] as const;
    const want = { sessions: true, people: true };
    await engine.totals(db, projectId, [RANGE], filters, want);
    const deleted = await deletePerson(db, { projectId, distinctId: top!.distinct_id });
    expect(deleted!.events).toBeGreaterThan(0);
    const marked = async () => {
      const [row] = await queryRows<{ n: number; physical: number }>(
        db,
        sql`select count(*) filter (where deleted_slots is not null)::int as n, sum(event_count)::int as physical
              from analytics_segments where project_id = ${projectId}::uuid`,
      );
      return row!;
    };
    expect((await marked()).n).toBeGreaterThan(0);
    // At once, before any purge: the person is out of every answer.
    expect(await engine.totals(db, projectId, [RANGE], filters, want)).toEqual(await oracleTotals(db, projectId));

    const maintenance = startEngineMaintenance(
      { db, logger: createLogger("silent") },
      { intervalMs: 20, embedded: kind === "pglite" },
    );
    try {
      for (let waited = 0; (await marked()).n > 0; waited += 50) {
        if (waited > 60_000) throw new Error("deleted slots not purged within 60 s");
        await Bun.sleep(50);
      }
    } finally {
      await maintenance.stop();
    }
    const [events] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from events where project_id = ${projectId}::uuid`,
    );
    expect((await marked()).physical).toBe(events!.n);
    expect(await engine.totals(db, projectId, [RANGE], filters, want)).toEqual(await oracleTotals(db, projectId));
  }, 180_000);
});
