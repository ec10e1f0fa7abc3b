/**
 * Analytics of one project, for any member of its team (viewer and up): projectProcedure answers NOT_FOUND outside
 * it (the dashboard's numbers are on dashboardReadProcedure, which also lets a share page or a read key read its own
 * project; whatever names a person stays on projectProcedure); after the input, analyticsLimits bounds the work
 * (statement timeout, cancel on disconnect, embedded cost bound). Inputs
 * are validated by the shared schemas (an unknown time zone or an inverted range is BAD_REQUEST before any SQL);
 * the work is in server/analytics, one query per procedure. Answers over a range carry rawDataFrom (raw-data-from.ts);
 * the ranked lists (topEvents, breakdown, entryExitPages) are arrays and stay so (a contract: add, never rename).
 */

import { TRPCError } from "@trpc/server";
import {
  analyticsInputSchema,
  type BreakdownRow,
  breakdownInputSchema,
  type EntryExitRow,
  entryExitPagesInputSchema,
  type Overview,
  type SessionsPage,
  sessionsInputSchema,
  type Timeseries,
  type TopEvent,
  timeseriesInputSchema,
  topEventsInputSchema,
  type UsersPage,
  usersInputSchema,
  type WithRawDataFrom,
} from "../../../../shared/analytics.ts";
import { type GoalsReport, goalStatsInputSchema } from "../../../../shared/goals.ts";
import { type Realtime, realtimeInputSchema } from "../../../../shared/realtime.ts";
import { getBreakdown } from "../../../analytics/get-breakdown.ts";
import { getEntryExitPages } from "../../../analytics/get-entry-exit-pages.ts";
import { getOverview } from "../../../analytics/get-overview.ts";
import { getRealtime } from "../../../analytics/get-realtime.ts";
import { getSessions } from "../../../analytics/get-sessions.ts";
import { getTimeseries } from "../../../analytics/get-timeseries.ts";
import { getTopEvents } from "../../../analytics/get-top-events.ts";
import { getUsers } from "../../../analytics/get-users.ts";
import { GoalsUnavailableError, getGoalStats } from "../../../analytics/goals/get-goal-stats.ts";
import { withRawDataFrom } from "../../../analytics/raw-data-from.ts";
import { analyticsLimits } from "../analytics-limits.ts";
import { createTRPCRouter, dashboardReadProcedure, projectProcedure } from "../init.ts";
import { journeyProcedures } from "./analytics-journeys.ts";
import { funnelProcedures } from "./funnels.ts";

export const analyticsRouter = createTRPCRouter({
  overview: dashboardReadProcedure
    .input(analyticsInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<WithRawDataFrom<Overview>> => {
      const now = Date.now();
      return withRawDataFrom(ctx.db, input.projectId, getOverview(ctx.db, input, now, ctx.services.engine), now);
    }),

  timeseries: dashboardReadProcedure
    .input(timeseriesInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<WithRawDataFrom<Timeseries>> => {
      const now = Date.now();
      return withRawDataFrom(ctx.db, input.projectId, getTimeseries(ctx.db, input, now, ctx.services.engine), now);
    }),

  topEvents: dashboardReadProcedure
    .input(topEventsInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<TopEvent[]> => getTopEvents(ctx.db, input, Date.now(), ctx.services.engine)),

  breakdown: dashboardReadProcedure
    .input(breakdownInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<BreakdownRow[]> => getBreakdown(ctx.db, input, Date.now(), ctx.services.engine)),

  entryExitPages: dashboardReadProcedure
    .input(entryExitPagesInputSchema)
    .use(analyticsLimits)
    .query(
      ({ ctx, input }): Promise<EntryExitRow[]> => getEntryExitPages(ctx.db, input, Date.now(), ctx.services.engine),
    ),

  sessions: projectProcedure
    .input(sessionsInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<WithRawDataFrom<SessionsPage>> => {
      const now = Date.now();
      return withRawDataFrom(ctx.db, input.projectId, getSessions(ctx.db, input, now, ctx.services.engine), now);
    }),

  realtime: dashboardReadProcedure
    .input(realtimeInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<Realtime> => getRealtime(ctx.db, input, Date.now())),

  users: projectProcedure
    .input(usersInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<WithRawDataFrom<UsersPage>> => {
      const now = Date.now();
      return withRawDataFrom(ctx.db, input.projectId, getUsers(ctx.db, input, now, ctx.services.engine), now);
    }),

  goals: dashboardReadProcedure
    .input(goalStatsInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<WithRawDataFrom<GoalsReport>> => {
      const now = Date.now();
      const report = getGoalStats(ctx.db, ctx.services.engine, input, now).catch((error: unknown) => {
        if (error instanceof GoalsUnavailableError) {
          throw new TRPCError({ code: "PRECONDITION_FAILED", message: error.message, cause: error });
        }
        throw error;
      });
      return withRawDataFrom(ctx.db, input.projectId, report, now);
    }),

  // funnel, funnelPeople
  ...funnelProcedures,
  // retention, paths
  ...journeyProcedures,
});
