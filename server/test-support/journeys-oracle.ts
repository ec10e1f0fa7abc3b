/**
 * For the retention and paths oracle tests (not used by production code): a database of each kind with one project,
 * and the project's raw events as plain rows with the person each counts for, straight from SQL: the events table,
 * analytics_users for the id's num, analytics_person_links for the alias map (alias_num -> person_num). Interval
 * numbers come from PostgreSQL's own time zone arithmetic, independent of the Intl code under test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../shared/analytics.ts";
import { type Database, type DatabaseHandle, openDatabase, queryRows } from "../db/client.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { projects, users } from "../db/schema/index.ts";
import { ensurePersonalTeam } from "../queries/teams/ensure-personal-team.ts";
import { oracleFilterSql } from "./filter-oracle.ts";
import { createTestServices, type TestServices } from "./services.ts";

export type DatabaseKind = "postgres" | "pglite";

export interface TestProjectDatabase {
  db: Database;
  projectId: string;
  close(): Promise<void>;
}

/** A fresh database of `kind`, migrated, with one project. */
export async function openProjectDatabase(kind: DatabaseKind, label: string): Promise<TestProjectDatabase> {
  let services: TestServices | null = null;
  let handle: DatabaseHandle | null = null;
  let dataDir = "";
  let db: Database;
  if (kind === "postgres") {
    services = await createTestServices({}, { redis: false });
    db = services.services.db;
  } else {
    dataDir = await mkdtemp(path.join(tmpdir(), `ad-${label}-`));
    handle = await openDatabase({ dataDir, poolSize: 1 });
    await migrateDatabase(handle);
    db = handle.db;
  }
  const [user] = await db
    .insert(users)
    .values({ email: `${label}-${kind}@example.test`, passwordHash: "x" })
    .returning();
  const [project] = await db
    .insert(projects)
    .values({
      teamId: await ensurePersonalTeam(db, user!.id),
      name: label,
      apiKeyHash: `h-${label}-${kind}`,
      apiKeyPrefix: "proj_h",
    })
    .returning();
  return {
    db,
    projectId: project!.id,
    async close() {
      await services?.cleanup();
      await handle?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface OracleEvent {
  name: string;
  path: string | null;
  session: string | null;
  distinctId: string | null;
  /** The person (analytics_users num through the links), null for an event without a distinct_id. */
  person: number | null;
  ts: number;
  /** Local day number in the zone (days since 2000-01-03, a Monday) and local week number (Monday-based). */
  day: number;
  week: number;
  dayStart: number;
  weekStart: number;
}

/** Every event of the project passing `filters`, ordered by time. */
export async function fetchOracleEvents(
  db: Database,
  projectId: string,
  zone: string,
  filters: readonly AnalyticsFilter[] = [],
): Promise<OracleEvent[]> {
  // Filtered in a subquery: the filters' SQL names bare events columns (distinct_id is in analytics_users too).
  const where: SQL[] = [sql`project_id = ${projectId}::uuid`, ...filters.map(oracleFilterSql)];
  const rows = await queryRows<{
    name: string;
    path: string | null;
    session: string | null;
    distinct_id: string | null;
    person: string | number | null;
    ts: string;
    day: number;
    day_start: string;
    week_start: string;
  }>(
    db,
    sql`select e.event_name as name, e.path, nullif(e.session_id, '') as session,
               nullif(e.distinct_id, '') as distinct_id,
               case when coalesce(e.distinct_id, '') = '' then null else coalesce(l.person_num, u.num) end as person,
               (extract(epoch from e.timestamp) * 1000)::float8::text as ts,
               ((e.timestamp at time zone ${zone}::text)::date - date '2000-01-03') as day,
               (extract(epoch from date_trunc('day', e.timestamp, ${zone}::text)) * 1000)::float8::text as day_start,
               (extract(epoch from date_trunc('week', e.timestamp, ${zone}::text)) * 1000)::float8::text as week_start
          from (select * from events where ${sql.join(where, sql` and `)}) e
          left join analytics_users u on u.project_id = e.project_id and u.distinct_id = e.distinct_id
          left join analytics_person_links l on l.project_id = e.project_id and l.alias_num = u.num
         order by e.timestamp`,
  );
  return rows.map((r) => ({
    name: r.name,
    path: r.path,
    session: r.session,
    distinctId: r.distinct_id,
    person: r.person === null ? null : Number(r.person),
    ts: Number(r.ts),
    day: Number(r.day),
    week: Math.floor(Number(r.day) / 7),
    dayStart: Number(r.day_start),
    weekStart: Number(r.week_start),
  }));
}

/** The local interval starts (day or Monday week) in [from, to) of `zone`, from PostgreSQL. */
export async function oracleIntervalStarts(
  db: Database,
  from: number,
  to: number,
  unit: "day" | "week",
  zone: string,
): Promise<Array<{ start: number; number: number }>> {
  const rows = await queryRows<{ start: string; day: number }>(
    db,
    sql`select distinct (extract(epoch from date_trunc(${unit}::text, g, ${zone}::text)) * 1000)::float8::text as start,
               ((date_trunc(${unit}::text, g, ${zone}::text) at time zone ${zone}::text)::date - date '2000-01-03') as day
          from generate_series(${new Date(from).toISOString()}::timestamptz, ${new Date(to).toISOString()}::timestamptz,
                               interval '1 hour') g`,
  );
  return rows
    .map((r) => ({ start: Number(r.start), number: unit === "day" ? Number(r.day) : Math.floor(Number(r.day) / 7) }))
    .filter((r) => r.start >= from && r.start < to)
    .sort((a, b) => a.start - b.start);
}

/** The local interval number (see OracleEvent) holding `ms`. */
export async function oracleIntervalNumber(db: Database, ms: number, unit: "day" | "week", zone: string) {
  const [row] = await queryRows<{ day: number }>(
    db,
    sql`select ((${new Date(ms).toISOString()}::timestamptz at time zone ${zone}::text)::date - date '2000-01-03') as day`,
  );
  return unit === "day" ? Number(row!.day) : Math.floor(Number(row!.day) / 7);
}
