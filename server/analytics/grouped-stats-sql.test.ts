import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { type DatabaseHandle, openDatabase, queryRows } from "../db/client.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { projects, users } from "../db/schema/index.ts";
import { ensurePersonalTeam } from "../queries/teams/ensure-personal-team.ts";
import { generateTestEvents, shuffled, storeTestEvents } from "../test-support/analytics-test-data.ts";
import { groupedStatsSql, MAX_RAW_SCANS, rawEventsSql, type StatsGroup } from "./grouped-stats-sql.ts";
import { ALL_DIMENSION } from "./rollup-layout.ts";

const BASE = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const dialect = new PgDialect();
const neqFilters = Array.from({ length: 20 }, (_, i) => ({
  dimension: `property:k${i}` as const,
  op: "neq" as const,
  value: "x",
}));

let dataDir: string;
let handle: DatabaseHandle;
let projectId: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "ad-grouped-stats-"));
  handle = await openDatabase({ dataDir, poolSize: 1 });
  await migrateDatabase(handle);
  const [user] = await handle.db.insert(users).values({ email: "grouped@example.test", passwordHash: "x" }).returning();
  const [project] = await handle.db
    .insert(projects)
    .values({
      teamId: await ensurePersonalTeam(handle.db, user!.id),
      name: "grouped",
      apiKeyHash: "h",
      apiKeyPrefix: "proj_g",
    })
    .returning();
  projectId = project!.id;
  await storeTestEvents(handle.db, shuffled(generateTestEvents(projectId, BASE, 3)).slice(0, 600), 100);
}, 60_000);

afterAll(async () => {
  await handle.close();
  await rm(dataDir, { recursive: true, force: true });
});

const hourlyGroups = (hours: number): StatsGroup[] =>
  Array.from({ length: hours }, (_, g) => ({ g, from: BASE + g * HOUR, to: BASE + (g + 1) * HOUR }));

describe("rawEventsSql", () => {
  it("keeps the statement's text the same size for 1 day and 42 days of hourly buckets", () => {
    for (const filters of [undefined, neqFilters]) {
      const text = (hours: number) =>
        dialect.sqlToQuery(
          groupedStatsSql({
            projectId,
            groups: hourlyGroups(hours),
            dimension: ALL_DIMENSION,
            withUsers: false,
            filters,
          }),
        ).sql.length;
      expect(text(42 * 24)).toBe(text(24));
    }
  });

  it("assigns every event of many separated intervals to its own interval, and no event of the gaps", async () => {
    // 30 two-hour intervals with one-hour gaps: more scans than allowed, so gaps get merged and dropped row by row.
    const intervals = Array.from({ length: 30 }, (_, i) => ({
      g: i,
      a: BASE + i * 3 * HOUR,
      b: BASE + i * 3 * HOUR + 2 * HOUR,
    }));
    const statement = rawEventsSql(projectId, shuffled(intervals), sql`e.insert_id as id`, sql`true`);
    expect(dialect.sqlToQuery(statement).sql.split(" union all ").length).toBeLessThanOrEqual(MAX_RAW_SCANS);
    const rows = await queryRows<{ g: number; n: number }>(
      handle.db,
      sql`select g, count(*)::int as n from (${statement}) raw group by g order by g`,
    );
    const expected = await queryRows<{ g: number; n: number }>(
      handle.db,
      sql`select floor(extract(epoch from timestamp - ${iso(BASE)}::timestamptz) / 10800)::int as g, count(*)::int as n
            from events
           where project_id = ${projectId}::uuid and timestamp >= ${iso(BASE)}::timestamptz and timestamp < ${iso(BASE + 90 * HOUR)}::timestamptz
             and extract(epoch from timestamp - ${iso(BASE)}::timestamptz)::numeric % 10800 < 7200
           group by 1 order by 1`,
    );
    expect(expected.length).toBeGreaterThan(10);
    expect(rows).toEqual(expected);
  });
});
