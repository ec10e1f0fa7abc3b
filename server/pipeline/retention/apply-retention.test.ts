/**
 * Retention on PostgreSQL and PGlite: events older than the horizon and their segment copies go in bounded batches;
 * afterwards every figure over ranges after the horizon (unfiltered from the rollups, filtered from the engine)
 * equals a twin project that only ever had the newer events; without kept aggregates the old rollup rows are gone,
 * with them the unfiltered answers of older ranges are unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import {
  analyticsInputSchema,
  breakdownInputSchema,
  timeseriesInputSchema,
  topEventsInputSchema,
  usersInputSchema,
} from "../../../shared/analytics.ts";
import { QueryEngine } from "../../analytics/engine/query-engine.ts";
import { getBreakdown } from "../../analytics/get-breakdown.ts";
import { getOverview } from "../../analytics/get-overview.ts";
import { getSessions } from "../../analytics/get-sessions.ts";
import { getTimeseries } from "../../analytics/get-timeseries.ts";
import { getTopEvents } from "../../analytics/get-top-events.ts";
import { getUsers } from "../../analytics/get-users.ts";
import { getRawDataFrom } from "../../analytics/raw-data-from.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { generateTestEvents, storeTestEvents, testEvent } from "../../test-support/analytics-test-data.ts";
import { DATABASE_KINDS, type EitherDatabase, openEitherDatabase } from "../../test-support/either-database.ts";
import { applyRetention, retentionHorizon } from "./apply-retention.ts";

const DAY = 86_400_000;
const NOW = Date.now();
const BASE = Math.floor((NOW - 40 * DAY) / DAY) * DAY;
const HORIZON = retentionHorizon(NOW, 30);

async function figures(db: Database, engine: QueryEngine, projectId: string, from: number, to: number) {
  const out: Record<string, unknown> = {};
  const range = { projectId, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  for (const [name, filters] of [
    ["none", undefined],
    ["path", [{ dimension: "path", op: "neq", value: "/pricing" }]],
  ] as const) {
    const input = { ...range, ...(filters ? { filters: [...filters] } : {}) };
    out[`overview ${name}`] = await getOverview(db, analyticsInputSchema.parse(input), NOW, engine);
    out[`timeseries ${name}`] = await getTimeseries(
      db,
      timeseriesInputSchema.parse({ ...input, granularity: "day" }),
      NOW,
      engine,
    );
    out[`breakdown ${name}`] = await getBreakdown(
      db,
      breakdownInputSchema.parse({ ...input, dimension: "path" }),
      NOW,
      engine,
    );
    out[`topEvents ${name}`] = await getTopEvents(db, topEventsInputSchema.parse(input), NOW, engine);
  }
  return JSON.stringify(out);
}

type Figures = Record<string, unknown>;

async function setRetention(db: Database, projectId: string, keep: boolean) {
  await db.execute(
    sql`update projects set retention_days = 30, keep_aggregates_past_retention = ${keep} where id = ${projectId}::uuid`,
  );
}

for (const kind of DATABASE_KINDS) {
  describe(`retention (${kind})`, () => {
    let d: EitherDatabase;
    let dropped: string;
    let kept: string;
    let twin: string;
    let keptOldBefore: string;

    beforeAll(async () => {
      d = await openEitherDatabase(kind);
      [dropped, kept, twin] = [await d.createProject("a"), await d.createProject("b"), await d.createProject("twin")];
      // 10 days before the horizon and 10 days after it (up to 20 days ago).
      const rows = generateTestEvents(dropped, HORIZON - 10 * DAY, 20);
      await storeTestEvents(d.db, rows, 500);
      await storeTestEvents(
        d.db,
        rows.map((row) => ({ ...row, projectId: kept })),
        500,
      );
      await storeTestEvents(
        d.db,
        rows.filter((row) => row.timestamp.getTime() >= HORIZON).map((row) => ({ ...row, projectId: twin })),
        500,
      );
      // Bot events the filter dropped, before and after the horizon: only their keys are kept (bot_filtered_events).
      // The others get the later one too, so their figures (botEventsFiltered included) stay comparable.
      const crawler = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
      const bot = (project: string, days: number) =>
        testEvent(project, { at: HORIZON + days * DAY, userAgent: crawler, sessionId: `bot${days}` });
      await storeTestEvents(d.db, [bot(dropped, -3), bot(dropped, 2), bot(kept, 2), bot(twin, 2)]);
      keptOldBefore = await figures(d.db, new QueryEngine({ cacheBytes: 16 << 20 }), kept, BASE, HORIZON);
      await setRetention(d.db, dropped, false);
      await setRetention(d.db, kept, true);
    }, 180_000);

    afterAll(async () => {
      await d?.close();
    });

    it("removes old events and their segment copies in bounded batches", async () => {
      let batches = 0;
      for (;;) {
        const done = await applyRetention(d.db, NOW, { batchSize: 300 });
        batches++;
        if (!done.some((batch) => batch.more)) break;
        expect(batches).toBeLessThan(100);
      }
      expect(batches).toBeGreaterThan(2);
      for (const project of [dropped, kept]) {
        const [old] = await queryRows<{ n: number; segments: number }>(
          d.db,
          sql`select (select count(*)::int from events where project_id = ${project}::uuid
                        and "timestamp" < ${new Date(HORIZON).toISOString()}::timestamptz) as n,
                     (select count(*)::int from analytics_segments where project_id = ${project}::uuid
                        and min_ts < ${new Date(HORIZON).toISOString()}::timestamptz) as segments`,
        );
        expect(old).toEqual({ n: 0, segments: 0 });
      }
      const bots = await queryRows<{ old: number; kept: number }>(
        d.db,
        sql`select count(*) filter (where "timestamp" < ${new Date(HORIZON).toISOString()}::timestamptz)::int as old,
                   count(*) filter (where "timestamp" >= ${new Date(HORIZON).toISOString()}::timestamptz)::int as kept
              from bot_filtered_events where project_id = ${dropped}::uuid`,
      );
      expect(bots[0]).toEqual({ old: 0, kept: 1 });
    }, 120_000);

    it("answers ranges after the horizon exactly as a project that never had the old events", async () => {
      const engine = new QueryEngine({ cacheBytes: 16 << 20 });
      const expected = await figures(d.db, engine, twin, HORIZON, HORIZON + 10 * DAY);
      expect(await figures(d.db, engine, dropped, HORIZON, HORIZON + 10 * DAY)).toBe(expected);
      // With kept aggregates the overview's previous period (before the horizon) still counts, from the rollups.
      const withoutPrevious = (text: string) => text.replace(/"previous":\{[^}]*\}/g, '"previous":"older"');
      expect(withoutPrevious(await figures(d.db, engine, kept, HORIZON, HORIZON + 10 * DAY))).toBe(
        withoutPrevious(expected),
      );
    }, 60_000);

    it("removes old rollups without kept aggregates, and keeps unfiltered old answers with them", async () => {
      const [rows] = await queryRows<{ n: number }>(
        d.db,
        sql`select count(*)::int as n from analytics_rollups where project_id = ${dropped}::uuid
             and bucket + make_interval(mins => size) <= ${new Date(HORIZON).toISOString()}::timestamptz`,
      );
      expect(rows!.n).toBe(0);
      const engine = new QueryEngine({ cacheBytes: 16 << 20 });
      // What the rollups hold: event totals, exact uniques, the top event and the timeseries. The visit metrics and
      // the breakdown's rows (page views, people per value) are read from per-event data, so past the horizon they
      // cover only what is kept (README "Data retention").
      const unfiltered = (text: string) => {
        const all = JSON.parse(text) as Record<string, Record<string, unknown>>;
        const totals = (o: Record<string, unknown>) => [o.totalEvents, o.uniqueSessions, o.uniqueUsers];
        const overview = all["overview none"]!;
        return JSON.stringify([
          totals(overview),
          totals(overview.previous as Record<string, unknown>),
          overview.topEvent,
          all["timeseries none"],
          all["topEvents none"],
        ]);
      };
      expect(unfiltered(await figures(d.db, engine, kept, BASE, HORIZON))).toBe(unfiltered(keptOldBefore));
    }, 60_000);

    it("answers rawDataFrom: the horizon with a retention, null without", async () => {
      const horizon = new Date(HORIZON).toISOString();
      expect(await getRawDataFrom(d.db, dropped, NOW)).toBe(horizon);
      expect(await getRawDataFrom(d.db, kept, NOW)).toBe(horizon);
      expect(await getRawDataFrom(d.db, twin, NOW)).toBeNull();
    });

    it("answers per-event figures of a range starting before rawDataFrom from rawDataFrom on", async () => {
      const engine = new QueryEngine({ cacheBytes: 16 << 20 });
      // The range starts 10 days before the horizon; the twin never had those days. Everything but the
      // rollups' unfiltered figures (and the previous period, which lies wholly before the horizon) must equal it.
      const expected = JSON.parse(await figures(d.db, engine, twin, BASE, HORIZON + 10 * DAY)) as Figures;
      for (const project of [dropped, kept]) {
        const actual = JSON.parse(await figures(d.db, engine, project, BASE, HORIZON + 10 * DAY)) as Figures;
        for (const name of ["overview path", "timeseries path", "breakdown path", "topEvents path"]) {
          const strip = (figure: unknown) => JSON.stringify(figure).replace(/"previous":\{[^}]*\}/g, "");
          expect({ project, name, figure: strip(actual[name]) }).toEqual({
            project,
            name,
            figure: strip(expected[name]),
          });
        }
        // The visit metrics, unfiltered too, are read from per-event data: from rawDataFrom on.
        const visits = (o: Record<string, unknown>) =>
          ["visits", "pageviews", "viewsPerVisit", "bounceRate", "visitDurationMeanSeconds"].map((k) => o[k]);
        expect(visits(actual["overview none"] as Record<string, unknown>)).toEqual(
          visits(expected["overview none"] as Record<string, unknown>),
        );
        expect(actual["breakdown none"]).toEqual(expected["breakdown none"]);
      }
      // Without kept aggregates the unfiltered rollup figures cover rawDataFrom on too; with them, they are whole.
      const dropAll = JSON.parse(await figures(d.db, engine, dropped, BASE, HORIZON + 10 * DAY)) as Figures;
      expect(dropAll["topEvents none"]).toEqual(expected["topEvents none"]);
      expect(dropAll["timeseries none"]).toEqual(expected["timeseries none"]);
      // Its unique users too: the user-set week straddling the horizon held people whose events are gone.
      const totals = (f: Figures) => {
        const o = f["overview none"] as Record<string, unknown>;
        return [o.totalEvents, o.uniqueSessions, o.uniqueUsers, o.topEvent];
      };
      expect(totals(dropAll)).toEqual(totals(expected));
      // Sessions and users (both projects): from rawDataFrom on, as the twin lists them.
      const range = usersInputSchema.parse({
        projectId: twin,
        from: new Date(BASE).toISOString(),
        to: new Date(HORIZON + 10 * DAY).toISOString(),
        limit: 100,
      });
      const lists = async (projectId: string) =>
        JSON.stringify([
          await getSessions(d.db, { ...range, projectId }, NOW, engine),
          await getUsers(d.db, { ...range, projectId }, NOW, engine),
          await getUsers(d.db, { ...range, projectId }, NOW, null),
        ]);
      const twinLists = await lists(twin);
      expect({ project: "dropped", lists: await lists(dropped) }).toEqual({ project: "dropped", lists: twinLists });
      const keptAll = JSON.parse(await figures(d.db, engine, kept, BASE, HORIZON + 10 * DAY)) as Figures;
      const total = (f: Figures) => (f["overview none"] as { totalEvents: number }).totalEvents;
      expect(total(keptAll)).toBeGreaterThan(total(expected));
    }, 60_000);
  });
}
