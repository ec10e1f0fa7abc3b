import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { decodePageCursor } from "../../shared/analytics.ts";
import { type DatabaseHandle, openDatabase, queryRows } from "../db/client.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { projects, users } from "../db/schema/index.ts";
import { ensurePersonalTeam } from "../queries/teams/ensure-personal-team.ts";
import { generateTestEvents, shuffled, storeTestEvents } from "../test-support/analytics-test-data.ts";
import { getBreakdown } from "./get-breakdown.ts";
import { getOverview } from "./get-overview.ts";
import { getSessions } from "./get-sessions.ts";
import { getTimeseries } from "./get-timeseries.ts";
import { getTopEvents } from "./get-top-events.ts";
import { getUsers } from "./get-users.ts";

// Embedded mode runs on PGlite: the same migrations, rollups and queries must work there (no extensions used).
const BASE = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const from = BASE + 7 * HOUR + 11 * 60_000;
const to = BASE + 2 * 24 * HOUR + 19 * HOUR;

let dataDir: string;
let handle: DatabaseHandle;
let projectId: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "ad-pglite-analytics-"));
  handle = await openDatabase({ dataDir, poolSize: 1 });
  await migrateDatabase(handle);
  const [user] = await handle.db.insert(users).values({ email: "pglite@example.test", passwordHash: "x" }).returning();
  const [project] = await handle.db
    .insert(projects)
    .values({
      teamId: await ensurePersonalTeam(handle.db, user!.id),
      name: "embedded",
      apiKeyHash: "h",
      apiKeyPrefix: "proj_h",
    })
    .returning();
  projectId = project!.id;
  await storeTestEvents(handle.db, shuffled(generateTestEvents(projectId, BASE, 3)).slice(0, 800), 100);
}, 60_000);

afterAll(async () => {
  await handle.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("analytics on PGlite", () => {
  it("answers overview, topEvents and breakdown exactly", async () => {
    const [raw] = await queryRows<{ n: number; s: number; u: number }>(
      handle.db,
      sql`select count(*)::int as n, count(distinct session_id)::int as s, count(distinct distinct_id)::int as u
            from events where timestamp >= ${iso(from)}::timestamptz and timestamp < ${iso(to)}::timestamptz`,
    );
    const overview = await getOverview(handle.db, { projectId, from: iso(from), to: iso(to) });
    expect([overview.totalEvents, overview.uniqueSessions, overview.uniqueUsers]).toEqual([raw!.n, raw!.s, raw!.u]);
    const top = await getTopEvents(handle.db, { projectId, from: iso(from), to: iso(to), limit: 100 });
    expect(top.reduce((sum, row) => sum + row.count, 0)).toBe(raw!.n);
    const browsers = await getBreakdown(handle.db, {
      projectId,
      from: iso(from),
      to: iso(to),
      dimension: "browser",
      limit: 100,
    });
    const rawBrowsers = await queryRows<{ value: string; n: number; s: number }>(
      handle.db,
      sql`select browser as value, count(*)::int as n, count(distinct session_id)::int as s from events
           where timestamp >= ${iso(from)}::timestamptz and timestamp < ${iso(to)}::timestamptz and browser is not null
           group by 1 order by 2 desc, 1`,
    );
    expect(browsers.map(({ value, count, uniqueSessions }) => ({ value, count, uniqueSessions }))).toEqual(
      rawBrowsers.map((r) => ({ value: r.value, count: r.n, uniqueSessions: r.s })),
    );
  });

  it("answers timeseries in a +05:30 zone and the session and user pages", async () => {
    const series = await getTimeseries(handle.db, {
      projectId,
      from: iso(from),
      to: iso(to),
      timezone: "Asia/Kolkata",
      granularity: "day",
    });
    expect(series.points.map((p) => p.timestamp)).toEqual([
      "2026-02-28T18:30:00.000Z",
      "2026-03-01T18:30:00.000Z",
      "2026-03-02T18:30:00.000Z",
      "2026-03-03T18:30:00.000Z",
    ]);
    const overview = await getOverview(handle.db, { projectId, from: iso(from), to: iso(to) });
    expect(series.points.reduce((sum, p) => sum + p.count, 0)).toBe(overview.totalEvents);
    const sessions = await getSessions(handle.db, { projectId, from: iso(from), to: iso(to), limit: 10 });
    expect(sessions.total).toBe(overview.uniqueSessions);
    expect(sessions.items).toHaveLength(10);
    const people = await getUsers(handle.db, {
      projectId,
      from: iso(from),
      to: iso(to),
      limit: 10,
      filters: [{ dimension: "path", op: "eq", value: "/pricing" }],
    });
    expect(people.items.length).toBeGreaterThan(0);
  });

  it("pages sessions and users by cursor: every row once, in the order of one long page", async () => {
    const range = { projectId, from: iso(from), to: iso(to) };
    for (const kind of ["sessions", "users"] as const) {
      const read = (limit: number, cursor?: string) =>
        kind === "sessions"
          ? getSessions(handle.db, { ...range, limit, cursor: cursor ? decodePageCursor(kind, cursor)! : undefined })
          : getUsers(handle.db, { ...range, limit, cursor: cursor ? decodePageCursor(kind, cursor)! : undefined });
      const whole = await read(100);
      const walked: unknown[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const next = await read(23, cursor);
        walked.push(...next.items);
        if (!next.nextCursor) break;
        cursor = next.nextCursor;
      }
      const distinct = new Set(walked.map((item) => JSON.stringify(item))).size;
      expect({ kind, count: walked.length, distinct, first: walked.slice(0, 100) }).toEqual({
        kind,
        count: whole.total,
        distinct: whole.total,
        first: whole.items,
      });
    }
  });
});
