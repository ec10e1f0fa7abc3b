import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import type { ZodError } from "zod";
import { type AnalyticsFilter, encodePageCursor } from "../../../../shared/analytics.ts";
import { queryRows } from "../../../db/client.ts";
import {
  generateTestEvents,
  shuffled,
  storeTestEvents,
  TEST_USER_AGENTS,
  testEvent,
} from "../../../test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../../test-support/auth.ts";
import { oracleDimensionSql, oracleFilterSql } from "../../../test-support/filter-oracle.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;
// Sunday 2026-03-01: the data spans the US switch to summer time (2026-03-08).
const BASE = Date.UTC(2026, 2, 1);
const DAYS = 10;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestServices;
let owner: SignedInUser;
let stranger: SignedInUser;
let projectId: string;

// Reference answers, straight from the raw events -----------------------------------------------------------------

function whereSql(from: number, to: number, filters: AnalyticsFilter[] = []): SQL {
  const parts = [
    sql`project_id = ${projectId}::uuid`,
    sql`timestamp >= ${iso(from)}::timestamptz`,
    sql`timestamp < ${iso(to)}::timestamptz`,
  ];
  for (const f of filters) parts.push(oracleFilterSql(f));
  return sql.join(parts, sql` and `);
}

async function rawTotals(from: number, to: number, filters?: AnalyticsFilter[]) {
  const [row] = await queryRows<{ events: string; sessions: string; users: string }>(
    t.services.db,
    sql`select count(*) as events, count(distinct session_id) as sessions, count(distinct distinct_id) as users
          from events where ${whereSql(from, to, filters)}`,
  );
  return { totalEvents: Number(row!.events), uniqueSessions: Number(row!.sessions), uniqueUsers: Number(row!.users) };
}

async function rawGrouped(dimension: string, from: number, to: number, filters?: AnalyticsFilter[], limit = 100) {
  const column = oracleDimensionSql(dimension);
  const rows = await queryRows<{ value: string; events: string; views: string; sessions: string; users: string }>(
    t.services.db,
    sql`select ${column} as value, count(*) as events, count(*) filter (where event_name = 'page_view') as views,
               count(distinct session_id) as sessions, count(distinct distinct_id) as users
          from events where ${whereSql(from, to, filters)} and ${column} is not null and ${column} <> ''
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

/** The event figures of an overview period (the visit metrics are checked in visit-metrics.test.ts). */
function eventTotalsOf(p: { totalEvents: number; uniqueSessions: number; uniqueUsers: number }) {
  return { totalEvents: p.totalEvents, uniqueSessions: p.uniqueSessions, uniqueUsers: p.uniqueUsers };
}

async function rawBuckets(from: number, to: number, unit: "hour" | "day", zone: string, filters?: AnalyticsFilter[]) {
  // PostgreSQL's own time zone arithmetic, independent of the Intl code under test.
  const rows = await queryRows<{ bucket: string; events: string; sessions: string }>(
    t.services.db,
    sql`select to_char(date_trunc(${unit}::text, timestamp, ${zone}::text) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as bucket,
               count(*) as events, count(distinct session_id) as sessions
          from events where ${whereSql(from, to, filters)} group by 1 order by 1`,
  );
  return new Map(rows.map((r) => [r.bucket, { count: Number(r.events), uniqueSessions: Number(r.sessions) }]));
}

async function rawSessions(from: number, to: number, filters?: AnalyticsFilter[]) {
  const rows = await queryRows<Record<string, string>>(
    t.services.db,
    sql`with active as (select distinct session_id from events where ${whereSql(from, to, filters)} and session_id is not null)
        select e.session_id, count(*) as events,
               (array_agg(e.distinct_id order by e.timestamp desc) filter (where e.distinct_id is not null))[1] as distinct_id,
               to_char(min(e.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as first_seen,
               to_char(max(e.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_seen,
               floor(extract(epoch from max(e.timestamp) - min(e.timestamp))) as duration,
               (array_agg(e.path order by e.timestamp))[1] as entry_path,
               (array_agg(e.path order by e.timestamp desc))[1] as exit_path
          from events e join active a on a.session_id = e.session_id
         where e.project_id = ${projectId}::uuid
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

async function rawUsers(from: number, to: number, filters?: AnalyticsFilter[]) {
  const rows = await queryRows<Record<string, string>>(
    t.services.db,
    sql`with active as (select distinct distinct_id from events where ${whereSql(from, to, filters)} and distinct_id is not null)
        select e.distinct_id, count(*) as events, count(distinct e.session_id) as sessions,
               to_char(min(e.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as first_seen,
               to_char(max(e.timestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_seen
          from events e join active a on a.distinct_id = e.distinct_id
         where e.project_id = ${projectId}::uuid
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

// Ranges: aligned days, ragged edges inside hours and quarter hours, a sliver inside one hour, across midnight.
const RANGES: Array<[string, number, number]> = [
  ["all ten days", BASE, BASE + DAYS * DAY],
  ["ragged edges", BASE + DAY + 7 * HOUR + 13 * MINUTE + 7_000, BASE + 6 * DAY + 19 * HOUR + 47 * MINUTE],
  ["inside one hour", BASE + 2 * DAY + 5 * HOUR + 10 * MINUTE, BASE + 2 * DAY + 5 * HOUR + 50 * MINUTE],
  ["across midnight", BASE + 3 * DAY + 23 * HOUR + 59 * MINUTE, BASE + 4 * DAY + 31 * MINUTE],
  ["the long session's day", BASE + 2 * DAY, BASE + 3 * DAY],
];

beforeAll(async () => {
  t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
  owner = await registerAndSignIn(t.services);
  stranger = await registerAndSignIn(t.services);
  projectId = (await owner.caller.projects.create({ name: "Analytics" })).project.id;
  // Out of order and split across batches, like a real stream.
  await storeTestEvents(t.services.db, shuffled(generateTestEvents(projectId, BASE, DAYS)), 97);
}, 120_000);

afterAll(async () => {
  await t.cleanup();
});

describe("analytics.overview", () => {
  for (const [name, from, to] of RANGES) {
    it(`equals COUNT and COUNT DISTINCT over raw events (${name}), previous period included`, async () => {
      const overview = await owner.caller.analytics.overview({ projectId, from: iso(from), to: iso(to) });
      expect({
        totalEvents: overview.totalEvents,
        uniqueSessions: overview.uniqueSessions,
        uniqueUsers: overview.uniqueUsers,
      }).toEqual(await rawTotals(from, to));
      expect(eventTotalsOf(overview.previous)).toEqual(await rawTotals(from - (to - from), from));
      expect(overview.periodStart).toBe(iso(from));
      expect(overview.periodEnd).toBe(iso(to));
      const top = await rawGrouped("event_name", from, to, [], 1);
      expect(overview.topEvent).toBe(top[0]?.value ?? null);
    });
  }

  it("counts a session active in 24 different hours once", async () => {
    const day = await owner.caller.analytics.overview({
      projectId,
      from: iso(BASE + 2 * DAY),
      to: iso(BASE + 3 * DAY),
      filters: [],
    });
    const withoutLong = await rawTotals(BASE + 2 * DAY, BASE + 3 * DAY, [
      { dimension: "path", op: "neq", value: "/docs" },
    ]);
    expect(day.uniqueSessions).toBe((await rawTotals(BASE + 2 * DAY, BASE + 3 * DAY)).uniqueSessions);
    const longOnly = await owner.caller.analytics.sessions({
      projectId,
      from: iso(BASE + 2 * DAY),
      to: iso(BASE + 3 * DAY),
      limit: 100,
    });
    expect(longOnly.items.filter((s) => s.sessionId === "sess-long")).toHaveLength(1);
    expect(withoutLong.uniqueSessions).toBeLessThan(day.uniqueSessions);
  });

  it("counts late events in their own buckets as soon as they are stored", async () => {
    const from = BASE + 5 * DAY + 3 * HOUR;
    const to = BASE + 5 * DAY + 4 * HOUR;
    const before = await owner.caller.analytics.overview({ projectId, from: iso(from), to: iso(to) });
    await storeTestEvents(t.services.db, [
      testEvent(projectId, { at: from + 5 * MINUTE, sessionId: "sess-late", distinctId: "user-late", path: "/late" }),
      testEvent(projectId, { at: from + 55 * MINUTE, sessionId: "sess-late", distinctId: "user-late", path: "/late" }),
    ]);
    const after = await owner.caller.analytics.overview({ projectId, from: iso(from), to: iso(to) });
    expect(after.totalEvents).toBe(before.totalEvents + 2);
    expect(after.uniqueSessions).toBe(before.uniqueSessions + 1);
    expect(after.uniqueUsers).toBe(before.uniqueUsers + 1);
    const series = await owner.caller.analytics.timeseries({
      projectId,
      from: iso(from),
      to: iso(to),
      granularity: "hour",
    });
    expect(series.points).toEqual([
      { timestamp: iso(from), count: after.totalEvents, uniqueSessions: after.uniqueSessions },
    ]);
  });

  it("mixes completed hours and the current hour for a period ending now", async () => {
    const now = Date.now();
    const recent = [];
    for (let i = 0; i < 30; i++) {
      recent.push(
        testEvent(projectId, {
          at: now - i * 47 * MINUTE - 1000,
          sessionId: `sess-now-${i % 7}`,
          distinctId: `user-now-${i % 4}`,
          path: "/",
        }),
      );
    }
    await storeTestEvents(t.services.db, recent);
    const overview = await owner.caller.analytics.overview({ projectId, period: "24h" });
    const from = Date.parse(overview.periodStart);
    const to = Date.parse(overview.periodEnd);
    expect(to - from).toBe(DAY);
    expect({
      totalEvents: overview.totalEvents,
      uniqueSessions: overview.uniqueSessions,
      uniqueUsers: overview.uniqueUsers,
    }).toEqual(await rawTotals(from, to));
    expect(overview.totalEvents).toBeGreaterThanOrEqual(25);
  });

  it("applies filters to every number", async () => {
    const [, from, to] = RANGES[1]!;
    for (const filters of [
      [{ dimension: "path", op: "eq", value: "/pricing" }],
      [{ dimension: "path", op: "contains", value: "DOC" }],
      [{ dimension: "browser", op: "neq", value: "Chrome" }],
      [
        { dimension: "property:plan", op: "eq", value: "pro" },
        { dimension: "device", op: "eq", value: "desktop" },
      ],
    ] satisfies AnalyticsFilter[][]) {
      const overview = await owner.caller.analytics.overview({ projectId, from: iso(from), to: iso(to), filters });
      expect(overview.totalEvents).toBeGreaterThan(0);
      expect({
        totalEvents: overview.totalEvents,
        uniqueSessions: overview.uniqueSessions,
        uniqueUsers: overview.uniqueUsers,
      }).toEqual(await rawTotals(from, to, filters));
      expect(eventTotalsOf(overview.previous)).toEqual(await rawTotals(from - (to - from), from, filters));
    }
  });
});

describe("single-value filters served from the rollups", () => {
  const single: Array<Array<Extract<AnalyticsFilter, { value: string }>>> = [
    [{ dimension: "event_name", op: "eq", value: "signup" }],
    [{ dimension: "path", op: "eq", value: "/pricing" }],
    [{ dimension: "browser", op: "eq", value: "Firefox" }],
    [{ dimension: "referrer", op: "eq", value: "t.co" }],
  ];
  for (const filters of single) {
    it(`match raw events for ${filters[0]!.dimension} = ${filters[0]!.value}`, async () => {
      for (const [, from, to] of [RANGES[0]!, RANGES[1]!, RANGES[3]!]) {
        const range = { projectId, from: iso(from), to: iso(to), filters };
        const overview = await owner.caller.analytics.overview(range);
        expect({
          totalEvents: overview.totalEvents,
          uniqueSessions: overview.uniqueSessions,
          uniqueUsers: overview.uniqueUsers,
        }).toEqual(await rawTotals(from, to, filters));
        const expected = await rawBuckets(from, to, "day", "Asia/Kolkata", filters);
        const series = await owner.caller.analytics.timeseries({
          ...range,
          timezone: "Asia/Kolkata",
          granularity: "day",
        });
        for (const point of series.points) {
          expect(point).toEqual({
            timestamp: point.timestamp,
            ...(expected.get(point.timestamp) ?? { count: 0, uniqueSessions: 0 }),
          });
        }
        const dimension = filters[0]!.dimension;
        const breakdown = await owner.caller.analytics.breakdown({ ...range, dimension, limit: 100 });
        expect(breakdown).toEqual(await rawGrouped(dimension, from, to, filters));
        const top = await owner.caller.analytics.topEvents({ ...range, limit: 100 });
        expect(top).toEqual(
          (await rawGrouped("event_name", from, to, filters)).map((r) => ({
            eventName: r.value,
            count: r.count,
            uniqueSessions: r.uniqueSessions,
            uniqueUsers: r.uniqueUsers,
          })),
        );
      }
    });
  }
});

describe("analytics.timeseries", () => {
  const cases: Array<[string, "hour" | "day", number, number]> = [
    ["UTC", "day", BASE, BASE + DAYS * DAY],
    ["Asia/Kolkata", "day", BASE + DAY + 7 * HOUR + 13 * MINUTE, BASE + 8 * DAY + 2 * HOUR],
    ["Asia/Kathmandu", "day", BASE, BASE + DAYS * DAY],
    ["America/New_York", "day", BASE + 5 * DAY, BASE + 10 * DAY],
    ["Asia/Kolkata", "hour", BASE + 2 * DAY + 3 * HOUR + 10 * MINUTE, BASE + 3 * DAY + 6 * HOUR],
    ["UTC", "hour", BASE + 3 * DAY + 20 * HOUR, BASE + 4 * DAY + 4 * HOUR + 30 * MINUTE],
  ];
  for (const [zone, granularity, from, to] of cases) {
    it(`puts every event in its ${zone} ${granularity} bucket, one point per bucket including empty ones`, async () => {
      const series = await owner.caller.analytics.timeseries({
        projectId,
        from: iso(from),
        to: iso(to),
        timezone: zone,
        granularity,
      });
      expect(series.granularity).toBe(granularity);
      const expected = await rawBuckets(from, to, granularity, zone);
      const seen = new Map(series.points.map((p) => [p.timestamp, p]));
      for (const [bucket, value] of expected)
        expect({ bucket, ...seen.get(bucket) }).toEqual({ bucket, timestamp: bucket, ...value });
      for (const point of series.points) {
        if (!expected.has(point.timestamp))
          expect(point).toEqual({ timestamp: point.timestamp, count: 0, uniqueSessions: 0 });
      }
      // Consecutive buckets, the first holding `from`, the last reaching `to`.
      expect(Date.parse(series.points[0]!.timestamp)).toBeLessThanOrEqual(from);
      expect(Date.parse(series.points.at(-1)!.timestamp)).toBeLessThan(to);
      expect(series.points.reduce((sum, p) => sum + p.count, 0)).toBe((await rawTotals(from, to)).totalEvents);
    });
  }

  it("starts Kolkata days at 18:30 UTC and Kathmandu days at 18:15 UTC", async () => {
    const kolkata = await owner.caller.analytics.timeseries({
      projectId,
      from: iso(BASE + DAY),
      to: iso(BASE + 3 * DAY),
      timezone: "Asia/Kolkata",
      granularity: "day",
    });
    expect(kolkata.points.map((p) => p.timestamp)).toEqual([
      "2026-03-01T18:30:00.000Z",
      "2026-03-02T18:30:00.000Z",
      "2026-03-03T18:30:00.000Z",
    ]);
    const kathmandu = await owner.caller.analytics.timeseries({
      projectId,
      from: iso(BASE + DAY),
      to: iso(BASE + 2 * DAY),
      timezone: "Asia/Kathmandu",
      granularity: "day",
    });
    expect(kathmandu.points[0]!.timestamp).toBe("2026-03-01T18:15:00.000Z");
  });

  it("makes the New York day of the DST change 23 hours long", async () => {
    const series = await owner.caller.analytics.timeseries({
      projectId,
      from: iso(BASE + 7 * DAY),
      to: iso(BASE + 9 * DAY),
      timezone: "America/New_York",
      granularity: "day",
    });
    expect(series.points.map((p) => p.timestamp)).toEqual([
      "2026-03-07T05:00:00.000Z",
      "2026-03-08T05:00:00.000Z",
      "2026-03-09T04:00:00.000Z",
    ]);
  });

  it("chooses hours for up to two days and days beyond", async () => {
    expect((await owner.caller.analytics.timeseries({ projectId, period: "24h" })).points).toHaveLength(25);
    expect((await owner.caller.analytics.timeseries({ projectId, period: "24h" })).granularity).toBe("hour");
    expect((await owner.caller.analytics.timeseries({ projectId, period: "30d" })).granularity).toBe("day");
  });

  it("applies filters per bucket", async () => {
    const filters: AnalyticsFilter[] = [{ dimension: "path", op: "eq", value: "/pricing" }];
    const series = await owner.caller.analytics.timeseries({
      projectId,
      from: iso(BASE),
      to: iso(BASE + DAYS * DAY),
      timezone: "Asia/Kolkata",
      filters,
    });
    const expected = await rawBuckets(BASE, BASE + DAYS * DAY, "day", "Asia/Kolkata", filters);
    for (const point of series.points) {
      expect(point).toEqual({
        timestamp: point.timestamp,
        ...(expected.get(point.timestamp) ?? { count: 0, uniqueSessions: 0 }),
      });
    }
  });

  it("refuses hourly points over more than 42 days", async () => {
    const error = await failure(owner.caller.analytics.timeseries({ projectId, period: "90d", granularity: "hour" }));
    expect(error.code).toBe("BAD_REQUEST");
  });
});

describe("analytics.topEvents", () => {
  for (const [name, from, to] of RANGES) {
    it(`ranks event names with exact unique sessions and users (${name})`, async () => {
      const top = await owner.caller.analytics.topEvents({ projectId, from: iso(from), to: iso(to), limit: 100 });
      expect(top).toEqual(
        (await rawGrouped("event_name", from, to)).map((r) => ({
          eventName: r.value,
          count: r.count,
          uniqueSessions: r.uniqueSessions,
          uniqueUsers: r.uniqueUsers,
        })),
      );
    });
  }

  it("honours the limit and the filters", async () => {
    const filters: AnalyticsFilter[] = [{ dimension: "os", op: "eq", value: "iOS" }];
    const top = await owner.caller.analytics.topEvents({
      projectId,
      from: iso(BASE),
      to: iso(BASE + DAYS * DAY),
      limit: 2,
      filters,
    });
    expect(top).toEqual(
      (await rawGrouped("event_name", BASE, BASE + DAYS * DAY, filters, 2)).map((r) => ({
        eventName: r.value,
        count: r.count,
        uniqueSessions: r.uniqueSessions,
        uniqueUsers: r.uniqueUsers,
      })),
    );
  });

  it("refuses a limit outside 1-100", async () => {
    expect((await failure(owner.caller.analytics.topEvents({ projectId, limit: 101 }))).code).toBe("BAD_REQUEST");
    expect((await failure(owner.caller.analytics.topEvents({ projectId, limit: 0 }))).code).toBe("BAD_REQUEST");
  });
});

describe("analytics.breakdown", () => {
  const dimensions = [
    "event_name",
    "path",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "browser",
    "os",
    "device",
    "country",
    "property:plan",
  ] as const;
  for (const dimension of dimensions) {
    it(`breaks down by ${dimension} like GROUP BY over raw events`, async () => {
      for (const [, from, to] of [RANGES[0]!, RANGES[1]!, RANGES[3]!]) {
        const rows = await owner.caller.analytics.breakdown({
          projectId,
          from: iso(from),
          to: iso(to),
          dimension,
          limit: 100,
        });
        expect(rows).toEqual(await rawGrouped(dimension, from, to));
      }
    });
  }

  it("reports browsers, systems and devices parsed from the user agent", async () => {
    const browsers = await owner.caller.analytics.breakdown({
      projectId,
      from: iso(BASE),
      to: iso(BASE + DAYS * DAY),
      dimension: "browser",
    });
    expect(browsers.map((r) => r.value).sort()).toEqual(["Chrome", "Firefox", "Mobile Safari", "Safari"]);
    const devices = await owner.caller.analytics.breakdown({
      projectId,
      from: iso(BASE),
      to: iso(BASE + DAYS * DAY),
      dimension: "device",
    });
    expect(devices.map((r) => r.value).sort()).toEqual(["desktop", "mobile", "tablet"]);
    expect(TEST_USER_AGENTS).toHaveLength(5);
  });

  it("applies filters, including on another dimension", async () => {
    const filters: AnalyticsFilter[] = [{ dimension: "device", op: "eq", value: "mobile" }];
    const rows = await owner.caller.analytics.breakdown({
      projectId,
      from: iso(BASE),
      to: iso(BASE + DAYS * DAY),
      dimension: "path",
      filters,
    });
    expect(rows).toEqual(await rawGrouped("path", BASE, BASE + DAYS * DAY, filters, 10));
  });

  it("refuses an unknown dimension", async () => {
    const error = await failure(owner.caller.analytics.breakdown({ projectId, dimension: "password" as "path" }));
    expect(error.code).toBe("BAD_REQUEST");
  });
});

describe("analytics.sessions", () => {
  for (const [name, from, to] of RANGES) {
    it(`pages the active sessions latest first with exact totals (${name})`, async () => {
      const expected = await rawSessions(from, to);
      const first = await owner.caller.analytics.sessions({ projectId, from: iso(from), to: iso(to), limit: 7 });
      expect(first.total).toBe(expected.length);
      expect(first.items).toEqual(expected.slice(0, 7));
      const later = await owner.caller.analytics.sessions({
        projectId,
        from: iso(from),
        to: iso(to),
        limit: 100,
        offset: 5,
      });
      expect(later.items).toEqual(expected.slice(5, 105));
    });
  }

  it("applies filters", async () => {
    const filters: AnalyticsFilter[] = [{ dimension: "path", op: "eq", value: "/checkout" }];
    const expected = await rawSessions(BASE, BASE + DAYS * DAY, filters);
    const page = await owner.caller.analytics.sessions({
      projectId,
      from: iso(BASE),
      to: iso(BASE + DAYS * DAY),
      filters,
      limit: 100,
    });
    expect(page.total).toBe(expected.length);
    expect(page.items).toEqual(expected.slice(0, 100));
  });

  it("returns an empty page with the total past the end", async () => {
    const page = await owner.caller.analytics.sessions({
      projectId,
      from: iso(BASE),
      to: iso(BASE + DAY),
      offset: 10_000,
    });
    expect(page.items).toEqual([]);
    expect(page.total).toBe((await rawTotals(BASE, BASE + DAY)).uniqueSessions);
  });
});

describe("analytics.users", () => {
  for (const [name, from, to] of RANGES) {
    it(`pages the active users most active first with exact totals (${name})`, async () => {
      const expected = await rawUsers(from, to);
      const first = await owner.caller.analytics.users({ projectId, from: iso(from), to: iso(to), limit: 5 });
      expect(first.total).toBe(expected.length);
      expect(first.items).toEqual(expected.slice(0, 5));
      const later = await owner.caller.analytics.users({
        projectId,
        from: iso(from),
        to: iso(to),
        limit: 100,
        offset: 3,
      });
      expect(later.items).toEqual(expected.slice(3, 103));
    });
  }

  it("applies filters", async () => {
    const filters: AnalyticsFilter[] = [{ dimension: "event_name", op: "eq", value: "purchase" }];
    const expected = await rawUsers(BASE, BASE + DAYS * DAY, filters);
    const page = await owner.caller.analytics.users({
      projectId,
      from: iso(BASE),
      to: iso(BASE + DAYS * DAY),
      filters,
      limit: 100,
    });
    expect(page.total).toBe(expected.length);
    expect(page.items).toEqual(expected.slice(0, 100));
  });
});

describe("analytics paging by cursor", () => {
  // Ties on both sort keys: 23 sessions ending at the same instant, 23 users with the same lifetime event count.
  const TIE_AT = BASE + 7 * DAY + 12 * HOUR + 30 * MINUTE;
  beforeAll(async () => {
    const tied = [];
    for (let i = 0; i < 23; i++) {
      const user = `user-tie-${String(i).padStart(2, "0")}`;
      tied.push(
        testEvent(projectId, {
          at: TIE_AT - (i + 1) * MINUTE,
          sessionId: `sess-tie-${i}`,
          distinctId: user,
          path: "/tie",
        }),
      );
      tied.push(testEvent(projectId, { at: TIE_AT, sessionId: `sess-tie-${i}`, distinctId: user, path: "/tie" }));
    }
    await storeTestEvents(t.services.db, shuffled(tied));
  });

  async function walk<T>(
    fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null; total: number }>,
    limit: number,
  ) {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await fetchPage(cursor);
      items.push(...page.items);
      if (page.nextCursor === null) return items;
      expect(page.items).toHaveLength(limit);
      cursor = page.nextCursor;
    }
    throw new Error("the cursor never ended");
  }

  // Small pages around the tie (cut inside it several times), larger ones for the whole data set.
  const walkRanges: Array<[string, number, number, AnalyticsFilter[] | undefined, number]> = [
    ["all ten days", BASE, BASE + DAYS * DAY, undefined, 37],
    ["ragged edges", RANGES[1]![1], RANGES[1]![2], undefined, 29],
    ["the tie's hour", TIE_AT - HOUR, TIE_AT + HOUR, undefined, 4],
    ["with a filter", BASE, BASE + DAYS * DAY, [{ dimension: "path", op: "neq", value: "/pricing" }], 41],
  ];
  for (const [name, from, to, filters, limit] of walkRanges) {
    it(`walks every session exactly once, in order, through ties (${name})`, async () => {
      const expected = await rawSessions(from, to, filters);
      expect(expected.filter((s) => s.lastSeen === iso(TIE_AT)).length).toBeGreaterThanOrEqual(
        name === "ragged edges" ? 0 : 23,
      );
      const all = await walk(
        (cursor) =>
          owner.caller.analytics.sessions({ projectId, from: iso(from), to: iso(to), filters, limit, cursor }),
        limit,
      );
      expect(all).toEqual(expected);
    }, 60_000);

    it(`walks every user exactly once, in order, through ties (${name})`, async () => {
      const expected = await rawUsers(from, to, filters);
      const all = await walk(
        (cursor) => owner.caller.analytics.users({ projectId, from: iso(from), to: iso(to), filters, limit, cursor }),
        limit,
      );
      expect(all).toEqual(expected);
    }, 60_000);
  }

  it("resumes inside a tie at the row after the cursor", async () => {
    const range = { projectId, from: iso(TIE_AT - HOUR), to: iso(TIE_AT + HOUR) };
    const expected = await rawSessions(TIE_AT - HOUR, TIE_AT + HOUR);
    const cut = expected.findIndex((s) => s.lastSeen === iso(TIE_AT)) + 11;
    const first = await owner.caller.analytics.sessions({ ...range, limit: cut });
    expect([first.items.at(-1)!.lastSeen, expected[cut]!.lastSeen]).toEqual([iso(TIE_AT), iso(TIE_AT)]);
    const second = await owner.caller.analytics.sessions({ ...range, limit: 5, cursor: first.nextCursor! });
    expect(second.items).toEqual(expected.slice(cut, cut + 5));
    expect(second.total).toBe(expected.length);
  });

  it("answers nextCursor null on the last page, also when it is exactly full", async () => {
    const range = { projectId, from: iso(TIE_AT - HOUR), to: iso(TIE_AT + HOUR) };
    const total = (await rawSessions(TIE_AT - HOUR, TIE_AT + HOUR)).length;
    const whole = await owner.caller.analytics.sessions({ ...range, limit: total });
    expect(whole.items).toHaveLength(total);
    expect(whole.nextCursor).toBeNull();
    expect((await owner.caller.analytics.sessions({ ...range, limit: total - 1 })).nextCursor).toEqual(
      expect.any(String),
    );
  });

  it("accepts offset up to 10,000 and refuses more as BAD_REQUEST on offset", async () => {
    expect((await owner.caller.analytics.users({ projectId, offset: 10_000 })).items).toEqual([]);
    for (const call of [
      () => owner.caller.analytics.sessions({ projectId, offset: 10_001 }),
      () => owner.caller.analytics.users({ projectId, offset: 1_000_000 }),
    ]) {
      const error = await failure(call());
      expect(error.code).toBe("BAD_REQUEST");
      expect((error.cause as ZodError).issues.map((issue) => issue.path)).toEqual([["offset"]]);
    }
  });

  it("refuses a malformed cursor as BAD_REQUEST on cursor", async () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64url");
    const malformed = [
      "",
      "not a cursor!",
      "%%%",
      "x".repeat(5000),
      b64("not json"),
      b64("[]"),
      b64('{"key":"1","id":"a"}'),
      b64('["s","1e3","sess-1"]'),
      b64('["s","-5","sess-1"]'),
      b64('["s","99999999999999999999","sess-1"]'),
      b64('["s","1",""]'),
      b64('["s","1","nul\u0000id"]'),
      b64('["s",1,"sess-1"]'),
      b64('["s","1","sess-1","extra"]'),
      Buffer.from([0xff, 0xfe, 0x5b]).toString("base64url"),
      encodePageCursor("users", { key: "3", id: "user-1" }),
    ];
    for (const cursor of malformed) {
      const error = await failure(owner.caller.analytics.sessions({ projectId, cursor }));
      expect({ cursor, code: error.code }).toEqual({ cursor, code: "BAD_REQUEST" });
      expect((error.cause as ZodError).issues.map((issue) => issue.path)).toEqual([["cursor"]]);
    }
    const error = await failure(
      owner.caller.analytics.users({ projectId, cursor: encodePageCursor("sessions", { key: "3", id: "s" }) }),
    );
    expect(error.code).toBe("BAD_REQUEST");
  });

  it("counts an offset given with a cursor from the cursor", async () => {
    const range = { projectId, from: iso(BASE), to: iso(BASE + DAYS * DAY) };
    const expected = await rawUsers(BASE, BASE + DAYS * DAY);
    const first = await owner.caller.analytics.users({ ...range, limit: 10 });
    const skipped = await owner.caller.analytics.users({ ...range, limit: 10, offset: 4, cursor: first.nextCursor! });
    expect(skipped.items).toEqual(expected.slice(14, 24));
  });
});

describe("analytics access and input", () => {
  it("answers NOT_FOUND for another user's project on every procedure", async () => {
    const calls = [
      () => stranger.caller.analytics.overview({ projectId }),
      () => stranger.caller.analytics.timeseries({ projectId }),
      () => stranger.caller.analytics.topEvents({ projectId }),
      () => stranger.caller.analytics.breakdown({ projectId, dimension: "path" }),
      () => stranger.caller.analytics.entryExitPages({ projectId, side: "entry" }),
      () => stranger.caller.analytics.sessions({ projectId }),
      () => stranger.caller.analytics.users({ projectId }),
    ];
    for (const call of calls) expect((await failure(call())).code).toBe("NOT_FOUND");
  });

  it("refuses an unknown time zone with BAD_REQUEST before any SQL", async () => {
    for (const timezone of ["Mars/Olympus_Mons", "UTC'; drop table events; --", "utc+5"]) {
      const error = await failure(owner.caller.analytics.timeseries({ projectId, timezone }));
      expect(error.code).toBe("BAD_REQUEST");
    }
    const [row] = await queryRows<{ n: string }>(t.services.db, sql`select count(*) as n from events`);
    expect(Number(row!.n)).toBeGreaterThan(0);
  });

  it("refuses a bad entryExitPages side or breakdown orderBy with BAD_REQUEST naming the field", async () => {
    const side = await failure(owner.caller.analytics.entryExitPages({ projectId, side: "middle" as "entry" }));
    expect(side.code).toBe("BAD_REQUEST");
    expect(side.message).toContain("side");
    const orderBy = await failure(
      owner.caller.analytics.breakdown({ projectId, dimension: "path", orderBy: "visits" as "count" }),
    );
    expect(orderBy.code).toBe("BAD_REQUEST");
    expect(orderBy.message).toContain("orderBy");
  });

  it("refuses a range whose end is not after its start", async () => {
    const error = await failure(owner.caller.analytics.overview({ projectId, from: iso(BASE + DAY), to: iso(BASE) }));
    expect(error.code).toBe("BAD_REQUEST");
  });

  it("leaves no rollup behind when the project is deleted", async () => {
    const { project } = await owner.caller.projects.create({ name: "Doomed" });
    await storeTestEvents(t.services.db, [
      ...generateTestEvents(project.id, BASE, 2, 3).slice(0, 300),
      testEvent(project.id, { at: BASE + HOUR, distinctId: "doomed-anon" }),
      testEvent(project.id, {
        eventName: "$identify",
        at: BASE + 2 * HOUR,
        distinctId: "doomed-user",
        properties: { $anon_distinct_id: "doomed-anon" },
      }),
    ]);
    const [linked] = await queryRows<{ n: string }>(
      t.services.db,
      sql`select count(*) as n from analytics_person_links where project_id = ${project.id}::uuid`,
    );
    expect(Number(linked!.n)).toBe(1);
    await owner.caller.projects.delete({ id: project.id });
    for (const table of [
      "analytics_rollups",
      "analytics_user_rollups",
      "analytics_sessions",
      "analytics_users",
      "analytics_person_links",
      "analytics_user_sessions",
      "analytics_id_counters",
      "events",
    ]) {
      const [row] = await queryRows<{ n: string }>(
        t.services.db,
        sql`select count(*) as n from ${sql.raw(table)} where project_id = ${project.id}::uuid`,
      );
      expect({ table, n: Number(row!.n) }).toEqual({ table, n: 0 });
    }
  });
});
