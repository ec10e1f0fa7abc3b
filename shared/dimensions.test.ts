/**
 * Pins the dimension table (shared/dimensions.ts) to everything that reads it, so a half-added dimension fails here:
 * the API's schemas accept it, the events table stores it in the column it names, the filter SQL and the breakdown
 * read that column, the rollups count it when it is rolled up (and only then), and the dashboard can label it.
 * Runs on embedded PGlite with the real migrations and the pipeline's own insert-then-applyRollups.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getTableColumns, sql } from "drizzle-orm";
import { getBreakdown } from "../server/analytics/get-breakdown.ts";
import { getOverview } from "../server/analytics/get-overview.ts";
import { ROLLUP_DIMENSIONS } from "../server/analytics/rollup-layout.ts";
import { type DatabaseHandle, openDatabase, queryRows } from "../server/db/client.ts";
import { migrateDatabase } from "../server/db/migrate.ts";
import { events, projects, users } from "../server/db/schema/index.ts";
import { ensurePersonalTeam } from "../server/queries/teams/ensure-personal-team.ts";
import { storeTestEvents, type TestEvent } from "../server/test-support/analytics-test-data.ts";
import { breakdownInputSchema, dimensionSchema, filterSchema } from "./analytics.ts";
import { DIMENSIONS, EVENT_DIMENSIONS, isDimension } from "./dimensions.ts";

const BASE = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
// Whole UTC days, so the unfiltered breakdown is answered from day rollups alone.
const range = { from: new Date(BASE).toISOString(), to: new Date(BASE + 2 * 24 * HOUR).toISOString() };
const sampleValue = (name: string, which: "a" | "b") => `${name}-${which}`;

let dataDir: string;
let handle: DatabaseHandle;
let projectId: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "ad-dimension-table-"));
  handle = await openDatabase({ dataDir, poolSize: 1 });
  await migrateDatabase(handle);
  const [user] = await handle.db.insert(users).values({ email: "dims@example.test", passwordHash: "x" }).returning();
  const [project] = await handle.db
    .insert(projects)
    .values({
      teamId: await ensurePersonalTeam(handle.db, user!.id),
      name: "dimensions",
      apiKeyHash: "h",
      apiKeyPrefix: "proj_d",
    })
    .returning();
  projectId = project!.id;
  // Three events in three sessions; every dimension is set through its table field: a, b, a.
  const rows = (["a", "b", "a"] as const).map((which, i) => {
    const row: Record<string, unknown> = {
      projectId,
      insertId: `dim-${i}`,
      sessionId: `s-${i}`,
      distinctId: `u-${i}`,
      timestamp: new Date(BASE + (10 + i) * HOUR + 7 * 60_000),
      receivedAt: new Date(),
      properties: {},
      pageUrl: null,
      host: null,
      referrer: null,
      userAgent: null,
      ipHash: null,
    };
    for (const d of DIMENSIONS) row[d.field] = sampleValue(d.name, which);
    return row as TestEvent;
  });
  expect(await storeTestEvents(handle.db, rows)).toBe(3);
}, 60_000);

afterAll(async () => {
  await handle?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the dimension table", () => {
  it("has unique names and columns that are plain SQL identifiers", () => {
    expect(new Set(DIMENSIONS.map((d) => d.name)).size).toBe(DIMENSIONS.length);
    expect(new Set(DIMENSIONS.map((d) => d.column)).size).toBe(DIMENSIONS.length);
    for (const d of DIMENSIONS) {
      expect(d.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(d.column).toMatch(/^[a-z][a-z0-9_]*$/);
    }
    expect([...EVENT_DIMENSIONS]).toEqual(DIMENSIONS.map((d) => d.name));
  });

  it("gives every dimension a label, an empty-value label and, with a tab, its tab and column headers", () => {
    for (const d of DIMENSIONS) {
      expect(d.label.trim()).not.toBe("");
      expect(d.emptyLabel.trim()).not.toBe("");
      if (d.breakdown) {
        expect(d.breakdown.tab.trim()).not.toBe("");
        expect(d.breakdown.column.trim()).not.toBe("");
      }
    }
  });

  for (const d of DIMENSIONS) {
    it(`lets the API take ${d.name} as a breakdown and a filter dimension`, () => {
      expect(dimensionSchema.parse(d.name)).toBe(d.name);
      expect(filterSchema.safeParse({ dimension: d.name, op: "eq", value: "x" }).success).toBe(true);
      const input = breakdownInputSchema.safeParse({ projectId: crypto.randomUUID(), dimension: d.name });
      expect(input.success).toBe(true);
      expect(isDimension(d.name)).toBe(true);
    });

    it(`stores ${d.name} through the events field ${d.field} in column ${d.column}`, async () => {
      expect(getTableColumns(events)).toHaveProperty(d.field);
      const [stored] = await queryRows<{ n: number }>(
        handle.db,
        sql`select count(*)::int as n from events where ${sql.identifier(d.column)} = ${sampleValue(d.name, "a")}`,
      );
      expect(stored!.n).toBe(2);
    });

    it(`breaks ${d.name} down and filters on it`, async () => {
      const a = sampleValue(d.name, "a");
      const b = sampleValue(d.name, "b");
      const rows = await getBreakdown(handle.db, { projectId, ...range, dimension: d.name, limit: 10 });
      expect(rows.map(({ value, count, uniqueSessions }) => ({ value, count, uniqueSessions }))).toEqual([
        { value: a, count: 2, uniqueSessions: 2 },
        { value: b, count: 1, uniqueSessions: 1 },
      ]);
      const count = async (op: "eq" | "neq" | "contains", value: string) =>
        (await getOverview(handle.db, { projectId, ...range, filters: [{ dimension: d.name, op, value }] }))
          .totalEvents;
      expect(await count("eq", a)).toBe(2);
      expect(await count("neq", a)).toBe(1);
      expect(await count("contains", "-B")).toBe(1);
    });

    it(`counts ${d.name} in the rollups ${d.rolledUp ? "" : "never "}(rolledUp: ${d.rolledUp})`, async () => {
      expect(d.name in ROLLUP_DIMENSIONS).toBe(d.rolledUp);
      // That its field is in RollupSourceRow is checked by the compiler (DIMENSION_FIELDS in apply-rollups.ts).
      const [rolled] = await queryRows<{ n: number }>(
        handle.db,
        sql`select coalesce(sum(events), 0)::int as n from analytics_rollups
             where project_id = ${projectId} and dimension = ${d.name} and size = 1440`,
      );
      expect(rolled!.n).toBe(d.rolledUp ? 3 : 0);
    });
  }

  it("accepts as a dimension what the API's schema accepts", () => {
    const samples = ["path", "country", "", "Path", "property:", "property:plan", `property:${"k".repeat(200)}`];
    samples.push(`property:${"k".repeat(201)}`, "property:a\nb", "property:a\u0000b", "__proto__", "toString");
    for (const sample of samples)
      expect([sample, isDimension(sample)]).toEqual([sample, dimensionSchema.safeParse(sample).success]);
  });
});
