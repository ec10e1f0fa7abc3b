/**
 * The filter oracle (not used by production code): every analytics procedure x every filter op, on a table dimension
 * and on a property, answered through the tRPC caller and compared with plain SQL over raw events. The reference
 * SQL below is written independently of server/analytics/event-filter-sql.ts (LIKE with escapes instead of strpos,
 * explicit null tests instead of `is distinct from`), so a shared mistake is unlikely. It runs on whichever code
 * path answers a procedure (raw events, the rollups for one `eq`, the query engine later), on PostgreSQL and on
 * PGlite (server/http/trpc/routers/analytics-filters.test.ts and server/analytics/analytics-filters-pglite.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import { type AnalyticsFilter, type CohortFilter, isCohortFilter } from "../../shared/analytics.ts";
import { type Database, queryRows } from "../db/client.ts";
import type { createCaller } from "../http/trpc/root.ts";
import { generateTestEvents, shuffled, type TestEvent, testEvent } from "./analytics-test-data.ts";
import { expectVisitTotals, oracleEntryExit, oracleVisitTotals } from "./visit-oracle.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Sunday 2026-03-01, UTC: the data spans three days from here. */
export const ORACLE_BASE = Date.UTC(2026, 2, 1);
export const ORACLE_DAYS = 3;
/** A range with ragged edges (raw events at both ends of the rollups), and its previous period inside the data. */
const FROM = ORACLE_BASE + DAY + 5 * HOUR + 13 * MINUTE;
const TO = ORACLE_BASE + 3 * DAY - 2 * HOUR - 7 * MINUTE;

/** Text values that a LIKE pattern or a quoting bug would mishandle, stored in `path` and in `properties.label`. */
export const TRICKY_VALUES = [
  "/it's",
  '/say "hi"',
  "/100% off",
  "/100 off",
  "/a_b",
  "/axb",
  "/back\\slash",
  "/backslash",
  "/MiXeD/Case",
];

/**
 * The generated data (about 1,400 events of 150+ sessions, properties plan and amount, most events without UTM),
 * plus events whose path and `label` are the tricky values, whose `code` is 42, "42", true, "true", "" or null, and
 * whose `coupon` is missing, "" or set, some with an empty `utm_source`; and `$set` / `$unset` events giving some
 * users a `tier` trait (for a cohort on a trait, cohort-oracle.ts). No identify: ids are people here.
 */
export function filterOracleEvents(projectId: string): TestEvent[] {
  const rows = shuffled(generateTestEvents(projectId, ORACLE_BASE, ORACLE_DAYS, 23)).slice(0, 1400);
  const codes: unknown[] = [42, "42", true, "true", "", null, 7, "42 "];
  let n = 0;
  for (let day = 0; day < ORACLE_DAYS; day++) {
    for (const [i, value] of TRICKY_VALUES.entries()) {
      for (const [j, code] of codes.entries()) {
        n += 1;
        const properties: Record<string, unknown> = { label: value.toUpperCase(), code };
        if (j % 3 === 1) properties.coupon = "";
        if (j % 3 === 2) properties.coupon = `SPRING-${i}`;
        const row = testEvent(projectId, {
          eventName: j % 2 ? "signup" : "page_view",
          at: ORACLE_BASE + day * DAY + (i * codes.length + j) * 17 * MINUTE + 31_000,
          sessionId: `tricky-${day}-${i}`,
          distinctId: j % 4 === 3 ? null : `tricky-user-${(n % 11) + 1}`,
          path: "/placeholder",
          properties,
        });
        // An empty UTM source, as a client could send it: "set" means neither null nor empty.
        rows.push({ ...row, path: value, utmSource: j === 4 ? "" : row.utmSource });
      }
    }
  }
  // Traits: every fourth user's tier is set on day 0 (gold for every eighth), every twelfth's unset on day 2.
  for (let i = 0; i < 60; i += 4) {
    const at = ORACLE_BASE + 3 * HOUR + i * MINUTE;
    const set = { $set: { tier: i % 8 ? "silver" : "gold" } };
    rows.push(
      testEvent(projectId, {
        eventName: "settings",
        at,
        sessionId: `set-${i}`,
        distinctId: `user-${i}`,
        properties: set,
      }),
    );
    if (i % 12 === 0) {
      const unset = { $unset: ["tier"] };
      const later = at + 2 * DAY;
      rows.push(
        testEvent(projectId, {
          eventName: "settings",
          at: later,
          sessionId: `unset-${i}`,
          distinctId: `user-${i}`,
          properties: unset,
        }),
      );
    }
  }
  return rows;
}

// Reference answers, straight from the raw events -----------------------------------------------------------------

const COLUMNS: Record<string, string> = {
  event_name: "event_name",
  path: "path",
  referrer: "referrer_host",
  utm_source: "utm_source",
  utm_medium: "utm_medium",
  utm_campaign: "utm_campaign",
  browser: "browser",
  os: "os",
  device: "device",
  country: "country",
};

/** The text a dimension reads, as plain SQL over `events`. */
export function oracleDimensionSql(dimension: string): SQL {
  if (dimension.startsWith("property:")) return sql`(properties ->> ${dimension.slice(9)}::text)`;
  return sql`${sql.identifier(COLUMNS[dimension]!)}`;
}

/** `value` as a LIKE pattern that matches it literally (backslash is LIKE's default escape). */
const literalPattern = (value: string) =>
  sql`replace(replace(replace(lower(${value}::text), '\\', '\\\\'), '%', '\\%'), '_', '\\_')`;

const registered = new Map<string, string[]>();

/** Makes oracleFilterSql answer the cohort filter of `cohortId` from these member ids (every alias included). */
export function registerOracleCohort(cohortId: string, memberIds: readonly string[]): void {
  registered.set(cohortId, [...memberIds]);
}

/** The cohort filter as plain SQL over an events row: its distinct_id is one of the registered members' ids. */
export function oracleCohortFilterSql(filter: CohortFilter): SQL {
  const ids = registered.get(filter.value);
  if (!ids) throw new Error(`oracle: cohort ${filter.value} was not registered`);
  const member = ids.length
    ? sql`coalesce(distinct_id in (${sql.join(
        ids.map((id) => sql`${id}::text`),
        sql`, `,
      )}), false)`
    : sql`false`;
  return filter.op === "in" ? member : sql`not ${member}`;
}

/** One filter as plain SQL: the semantics of issue 15, written without the production helpers. */
export function oracleFilterSql(filter: AnalyticsFilter): SQL {
  if (isCohortFilter(filter)) return oracleCohortFilterSql(filter);
  const column = oracleDimensionSql(filter.dimension);
  const contains = (value: string) => sql`lower(${column}) like '%' || ${literalPattern(value)} || '%'`;
  switch (filter.op) {
    case "eq":
      return sql`${column} = ${filter.value}::text`;
    case "neq":
      return sql`(${column} is null or ${column} <> ${filter.value}::text)`;
    case "contains":
      return sql`(${column} is not null and ${contains(filter.value)})`;
    case "not_contains":
      return sql`(${column} is null or not ${contains(filter.value)})`;
    case "is_set":
      return sql`(${column} is not null and ${column} <> '')`;
    case "not_set":
      return sql`(${column} is null or ${column} = '')`;
    case "in":
      return sql`${column} in (${sql.join(
        filter.values.map((value) => sql`${value}::text`),
        sql`, `,
      )})`;
  }
}

/**
 * The expected unique users among matching events. One place, so counting people instead of raw ids (the identity
 * work of issue 15) changes the oracle here only.
 */
export function oracleUniqueUsersSql(): SQL {
  return sql`count(distinct distinct_id)`;
}

export interface OracleContext {
  db: Database;
  projectId: string;
  caller: ReturnType<typeof createCaller>;
}

function whereSql(c: OracleContext, from: number, to: number, filters: readonly AnalyticsFilter[]): SQL {
  return sql.join(
    [
      sql`project_id = ${c.projectId}::uuid`,
      sql`timestamp >= ${iso(from)}::timestamptz`,
      sql`timestamp < ${iso(to)}::timestamptz`,
      ...filters.map(oracleFilterSql),
    ],
    sql` and `,
  );
}

async function rawTotals(c: OracleContext, from: number, to: number, filters: readonly AnalyticsFilter[]) {
  const [row] = await queryRows<{ events: string; sessions: string; users: string }>(
    c.db,
    sql`select count(*) as events, count(distinct session_id) as sessions, ${oracleUniqueUsersSql()} as users
          from events where ${whereSql(c, from, to, filters)}`,
  );
  return { totalEvents: Number(row!.events), uniqueSessions: Number(row!.sessions), uniqueUsers: Number(row!.users) };
}

async function rawGrouped(c: OracleContext, dimension: string, filters: readonly AnalyticsFilter[], limit: number) {
  const column = oracleDimensionSql(dimension);
  const rows = await queryRows<{ value: string; events: string; views: string; sessions: string; users: string }>(
    c.db,
    sql`select ${column} as value, count(*) as events, count(*) filter (where event_name = 'page_view') as views,
               count(distinct session_id) as sessions, ${oracleUniqueUsersSql()} as users
          from events where ${whereSql(c, FROM, TO, filters)} and ${column} is not null and ${column} <> ''
         group by 1 order by 2 desc, 1 limit ${limit}`,
  );
  return rows.map((r) => ({
    value: r.value,
    count: Number(r.events),
    pageviews: Number(r.views),
    uniqueSessions: Number(r.sessions),
    uniqueUsers: Number(r.users),
  }));
}

async function rawBuckets(c: OracleContext, zone: string, filters: readonly AnalyticsFilter[]) {
  const rows = await queryRows<{ bucket: string; events: string; sessions: string }>(
    c.db,
    sql`select to_char(date_trunc('day', timestamp, ${zone}::text) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as bucket,
               count(*) as events, count(distinct session_id) as sessions
          from events where ${whereSql(c, FROM, TO, filters)} group by 1 order by 1`,
  );
  return new Map(rows.map((r) => [r.bucket, { count: Number(r.events), uniqueSessions: Number(r.sessions) }]));
}

async function rawSessions(c: OracleContext, filters: readonly AnalyticsFilter[]) {
  const rows = await queryRows<Record<string, string>>(
    c.db,
    sql`with active as (select distinct session_id from events where ${whereSql(c, FROM, TO, filters)} and session_id is not null)
        select e.session_id, count(*) as events,
               (array_agg(e.distinct_id order by e.timestamp desc) filter (where e.distinct_id is not null))[1] as distinct_id,
               to_char(min(e.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as first_seen,
               to_char(max(e.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_seen,
               floor(extract(epoch from max(e.timestamp) - min(e.timestamp))) as duration,
               (array_agg(e.path order by e.timestamp))[1] as entry_path,
               (array_agg(e.path order by e.timestamp desc))[1] as exit_path
          from events e join active a on a.session_id = e.session_id
         where e.project_id = ${c.projectId}::uuid
         group by e.session_id order by max(e.timestamp) desc, e.session_id`,
  );
  return rows.map((r) => ({
    sessionId: r.session_id!,
    distinctId: r.distinct_id ?? null,
    eventCount: Number(r.events),
    firstSeen: r.first_seen!,
    lastSeen: r.last_seen!,
    durationSeconds: Number(r.duration),
    entryPath: r.entry_path ?? null,
    exitPath: r.exit_path ?? null,
  }));
}

async function rawUsers(c: OracleContext, filters: readonly AnalyticsFilter[]) {
  const rows = await queryRows<Record<string, string>>(
    c.db,
    sql`with active as (select distinct distinct_id from events where ${whereSql(c, FROM, TO, filters)} and distinct_id is not null)
        select e.distinct_id, count(*) as events, count(distinct e.session_id) as sessions,
               to_char(min(e.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as first_seen,
               to_char(max(e.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_seen
          from events e join active a on a.distinct_id = e.distinct_id
         where e.project_id = ${c.projectId}::uuid
         group by e.distinct_id order by count(*) desc, e.distinct_id`,
  );
  return rows.map((r) => ({
    distinctId: r.distinct_id!,
    eventCount: Number(r.events),
    sessionCount: Number(r.sessions),
    firstSeen: r.first_seen!,
    lastSeen: r.last_seen!,
  }));
}

// The cases ---------------------------------------------------------------------------------------------------------

/** Every op on a table dimension and on a property; `breakdown` is the dimension the breakdown is asked for. */
export const OP_CASES: ReadonlyArray<{ name: string; filters: AnalyticsFilter[]; breakdown: string }> = [
  { name: "path eq", filters: [{ dimension: "path", op: "eq", value: "/pricing" }], breakdown: "path" },
  // A rolled-up dimension whose value comes from the client IP at ingest.
  { name: "country eq", filters: [{ dimension: "country", op: "eq", value: "US" }], breakdown: "country" },
  {
    name: "country in",
    filters: [{ dimension: "country", op: "in", values: ["DE", "JP"] }],
    breakdown: "path",
  },
  // Served from the rollups with their user sets (totals, topEvents) where the read allows it.
  { name: "event_name eq", filters: [{ dimension: "event_name", op: "eq", value: "signup" }], breakdown: "path" },
  { name: "property eq", filters: [{ dimension: "property:plan", op: "eq", value: "pro" }], breakdown: "browser" },
  { name: "path neq", filters: [{ dimension: "path", op: "neq", value: "/pricing" }], breakdown: "path" },
  { name: "property neq", filters: [{ dimension: "property:plan", op: "neq", value: "pro" }], breakdown: "path" },
  { name: "path contains", filters: [{ dimension: "path", op: "contains", value: "DOC" }], breakdown: "path" },
  {
    name: "property contains",
    filters: [{ dimension: "property:plan", op: "contains", value: "R" }],
    breakdown: "property:plan",
  },
  { name: "path not_contains", filters: [{ dimension: "path", op: "not_contains", value: "doc" }], breakdown: "os" },
  {
    name: "property not_contains",
    filters: [{ dimension: "property:plan", op: "not_contains", value: "fr" }],
    breakdown: "property:plan",
  },
  { name: "utm_source is_set", filters: [{ dimension: "utm_source", op: "is_set" }], breakdown: "utm_source" },
  { name: "property is_set", filters: [{ dimension: "property:coupon", op: "is_set" }], breakdown: "path" },
  { name: "referrer not_set", filters: [{ dimension: "referrer", op: "not_set" }], breakdown: "referrer" },
  { name: "utm_source not_set", filters: [{ dimension: "utm_source", op: "not_set" }], breakdown: "utm_source" },
  { name: "property not_set", filters: [{ dimension: "property:coupon", op: "not_set" }], breakdown: "device" },
  {
    name: "path in",
    filters: [{ dimension: "path", op: "in", values: ["/pricing", "/signup", "/nowhere"] }],
    breakdown: "path",
  },
  {
    name: "property in",
    filters: [{ dimension: "property:code", op: "in", values: ["42", "true"] }],
    breakdown: "property:code",
  },
];

/** The cases issue 15 names: literal contains, properties compared as text, missing values, groups, 20 filters. */
export const EDGE_CASES: ReadonlyArray<{ name: string; filters: AnalyticsFilter[]; breakdown: string }> = [
  ...["'", '"', "%", "_", "\\", "100%", "a_b", "K\\S", '"HI"'].flatMap((value) => [
    {
      name: `path contains ${value}`,
      filters: [{ dimension: "path", op: "contains", value }] as AnalyticsFilter[],
      breakdown: "path",
    },
    {
      name: `property not_contains ${value}`,
      filters: [{ dimension: "property:label", op: "not_contains", value }] as AnalyticsFilter[],
      breakdown: "property:label",
    },
  ]),
  {
    name: 'property eq "42" (42 and "42")',
    filters: [{ dimension: "property:code", op: "eq", value: "42" }],
    breakdown: "property:code",
  },
  {
    name: 'property eq "true" (true and "true")',
    filters: [{ dimension: "property:code", op: "eq", value: "true" }],
    breakdown: "path",
  },
  {
    name: "property neq 42 keeps missing codes",
    filters: [{ dimension: "property:code", op: "neq", value: "42" }],
    breakdown: "property:code",
  },
  {
    name: "referrer neq keeps direct visits",
    filters: [{ dimension: "referrer", op: "neq", value: "t.co" }],
    breakdown: "referrer",
  },
  {
    name: "utm_source not_contains keeps missing",
    filters: [{ dimension: "utm_source", op: "not_contains", value: "twit" }],
    breakdown: "utm_source",
  },
  {
    name: "property not_contains keeps missing",
    filters: [{ dimension: "property:coupon", op: "not_contains", value: "spring-1" }],
    breakdown: "property:coupon",
  },
  {
    name: "property is_set excludes empty and null",
    filters: [{ dimension: "property:code", op: "is_set" }],
    breakdown: "property:code",
  },
  {
    name: "an in group with other filters",
    filters: [
      { dimension: "path", op: "in", values: ["/pricing", "/docs", "/signup"] },
      { dimension: "browser", op: "eq", value: "Chrome" },
      { dimension: "property:plan", op: "neq", value: "pro" },
      { dimension: "referrer", op: "not_set" },
    ],
    breakdown: "path",
  },
  {
    name: "20 neq filters",
    filters: Array.from({ length: 20 }, (_, i) => ({
      dimension: i % 2 ? "path" : `property:k${i}`,
      op: "neq" as const,
      value: `/x${i}`,
    })),
    breakdown: "path",
  },
];

// The tests ---------------------------------------------------------------------------------------------------------

/** Registers one describe per procedure, each with every case of `cases`; `context` is ready when the tests run. */
export function describeFilterOracle(
  label: string,
  context: () => OracleContext,
  cases: ReadonlyArray<{ name: string; filters: AnalyticsFilter[]; breakdown: string }> = [...OP_CASES, ...EDGE_CASES],
): void {
  const range = () => ({ projectId: context().projectId, from: iso(FROM), to: iso(TO) });

  describe(`${label}: analytics.overview with filters`, () => {
    for (const { name, filters } of cases) {
      it(`equals plain SQL over raw events (${name}), previous period included`, async () => {
        const c = context();
        const overview = await c.caller.analytics.overview({ ...range(), filters });
        const expected = await rawTotals(c, FROM, TO, filters);
        expect(expected.totalEvents).toBeGreaterThan(0);
        expect({
          totalEvents: overview.totalEvents,
          uniqueSessions: overview.uniqueSessions,
          uniqueUsers: overview.uniqueUsers,
        }).toEqual(expected);
        const previous = overview.previous;
        expect({
          totalEvents: previous.totalEvents,
          uniqueSessions: previous.uniqueSessions,
          uniqueUsers: previous.uniqueUsers,
        }).toEqual(await rawTotals(c, FROM - (TO - FROM), FROM, filters));
        const matching = sql.join(filters.map(oracleFilterSql), sql` and `);
        expectVisitTotals(overview, await oracleVisitTotals(c.db, c.projectId, FROM, TO, matching), "current");
        const before = await oracleVisitTotals(c.db, c.projectId, 2 * FROM - TO, FROM, matching);
        expectVisitTotals(previous, before, "previous");
        expect(overview.topEvent).toBe((await rawGrouped(c, "event_name", filters, 1))[0]?.value ?? null);
      });
    }
  });

  describe(`${label}: analytics.entryExitPages with filters`, () => {
    for (const { name, filters } of cases) {
      it(`ranks the first and last page views of the visits with a matching event (${name})`, async () => {
        const c = context();
        const matching = sql.join(filters.map(oracleFilterSql), sql` and `);
        for (const side of ["entry", "exit"] as const) {
          const rows = await c.caller.analytics.entryExitPages({ ...range(), side, filters, limit: 100 });
          expect({ side, rows }).toEqual({
            side,
            rows: await oracleEntryExit(c.db, c.projectId, FROM, TO, side, matching),
          });
        }
      });
    }
  });

  describe(`${label}: analytics.goals with filters`, () => {
    // An event goal with a filter of its own, a path goal with ** (tricky paths included) and one with *.
    const goals = [
      {
        name: "pro signup",
        event: "signup",
        filters: [{ dimension: "property:plan", op: "eq", value: "pro" }] as AnalyticsFilter[],
        oracle: sql`event_name = 'signup' and properties ->> 'plan' = 'pro'`,
      },
      { name: "any page", pathPattern: "/**", oracle: sql`event_name = 'page_view' and path ~ '^/.*$'` },
      { name: "docs child", pathPattern: "/docs/*", oracle: sql`event_name = 'page_view' and path ~ '^/docs/[^/]*$'` },
    ];
    let ids: string[] = [];
    beforeAll(async () => {
      const c = context();
      ids = [];
      for (const { oracle: _oracle, ...goal } of goals) {
        ids.push((await c.caller.goals.create({ projectId: c.projectId, ...goal })).id);
      }
    });
    afterAll(async () => {
      const c = context();
      for (const goalId of ids) await c.caller.goals.delete({ projectId: c.projectId, goalId });
    });
    for (const { name, filters } of cases) {
      it(`counts goal conversions, uniques and rate like SQL over matching events (${name})`, async () => {
        const c = context();
        const report = await c.caller.analytics.goals({ ...range(), filters });
        const visitors = (await rawTotals(c, FROM, TO, filters)).uniqueUsers;
        const expected = [];
        for (const [g, goal] of goals.entries()) {
          const [row] = await queryRows<{ events: string; users: string }>(
            c.db,
            sql`select count(*) as events, ${oracleUniqueUsersSql()} as users
                  from events where ${whereSql(c, FROM, TO, filters)} and ${goal.oracle}`,
          );
          const uniques = Number(row!.users);
          expected.push({
            goalId: ids[g]!,
            name: goal.name,
            uniques,
            conversions: Number(row!.events),
            conversionRate: visitors === 0 ? 0 : uniques / visitors,
          });
        }
        expect(report).toEqual({ visitors, goals: expected, rawDataFrom: null });
      });
    }
  });

  describe(`${label}: analytics.timeseries with filters`, () => {
    for (const { name, filters } of cases) {
      it(`puts every matching event in its Asia/Kolkata day (${name})`, async () => {
        const c = context();
        const series = await c.caller.analytics.timeseries({
          ...range(),
          timezone: "Asia/Kolkata",
          granularity: "day",
          filters,
        });
        const expected = await rawBuckets(c, "Asia/Kolkata", filters);
        expect(series.points.map((p) => p.timestamp)).toEqual(expect.arrayContaining([...expected.keys()]));
        for (const point of series.points) {
          expect(point).toEqual({
            timestamp: point.timestamp,
            ...(expected.get(point.timestamp) ?? { count: 0, uniqueSessions: 0 }),
          });
        }
      });
    }
  });

  describe(`${label}: analytics.topEvents with filters`, () => {
    for (const { name, filters } of cases) {
      it(`ranks event names like GROUP BY over matching events (${name})`, async () => {
        const c = context();
        const top = await c.caller.analytics.topEvents({ ...range(), filters, limit: 100 });
        expect(top).toEqual(
          (await rawGrouped(c, "event_name", filters, 100)).map((r) => ({
            eventName: r.value,
            count: r.count,
            uniqueSessions: r.uniqueSessions,
            uniqueUsers: r.uniqueUsers,
          })),
        );
      });
    }
  });

  describe(`${label}: analytics.breakdown with filters`, () => {
    for (const { name, filters, breakdown } of cases) {
      it(`breaks matching events down by ${breakdown} like GROUP BY (${name})`, async () => {
        const c = context();
        const rows = await c.caller.analytics.breakdown({ ...range(), dimension: breakdown, filters, limit: 100 });
        expect(rows).toEqual(await rawGrouped(c, breakdown, filters, 100));
      });
    }
  });

  describe(`${label}: analytics.sessions with filters`, () => {
    for (const { name, filters } of cases) {
      it(`lists exactly the sessions with a matching event (${name})`, async () => {
        const c = context();
        const expected = await rawSessions(c, filters);
        const page = await c.caller.analytics.sessions({ ...range(), filters, limit: 100 });
        expect(page.total).toBe(expected.length);
        expect(page.items).toEqual(expected.slice(0, 100));
      });
    }
  });

  describe(`${label}: analytics.users with filters`, () => {
    for (const { name, filters } of cases) {
      it(`lists exactly the users with a matching event (${name})`, async () => {
        const c = context();
        const expected = await rawUsers(c, filters);
        const page = await c.caller.analytics.users({ ...range(), filters, limit: 100 });
        expect(page.total).toBe(expected.length);
        expect(page.items).toEqual(expected.slice(0, 100));
        const overview = await c.caller.analytics.overview({ ...range(), filters });
        expect(page.total).toBe(overview.uniqueUsers);
      });
    }
  });

  describe(`${label}: people.list with filters`, () => {
    for (const { name, filters } of cases) {
      it(`lists exactly the people with a matching event, latest seen first (${name})`, async () => {
        const c = context();
        const expected = await rawUsers(c, filters);
        const page = await c.caller.people.list({ ...range(), filters, limit: 100 });
        expect(page.total).toBe(expected.length);
        const latestFirst = [...expected].sort(
          (a, b) => b.lastSeen.localeCompare(a.lastSeen) || (a.distinctId < b.distinctId ? -1 : 1),
        );
        expect(
          page.items.map(({ distinctId, eventCount, sessionCount, firstSeen, lastSeen }) => ({
            distinctId,
            eventCount,
            sessionCount,
            firstSeen,
            lastSeen,
          })),
        ).toEqual(latestFirst.slice(0, 100));
      });
    }
  });
}
