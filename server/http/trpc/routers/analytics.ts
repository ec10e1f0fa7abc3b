/**
 * Analytics of one project, for any member of its team (viewer and up): projectProcedure answers NOT_FOUND outside
 * it (the dashboard's numbers are on dashboardReadProcedure, which also lets a share page or a read key read its own
 * project; whatever names a person stays on projectProcedure); after the input, analyticsLimits bounds the work
 * (statement timeout, cancel on disconnect, embedded cost bound). Inputs
 * are validated by the shared schemas (an unknown time zone or an inverted range is BAD_REQUEST before any SQL);
 * the work is in server/analytics, one query per procedure.
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
import { analyticsLimits } from "../analytics-limits.ts";
import { createTRPCRouter, dashboardReadProcedure, projectProcedure } from "../init.ts";
import { journeyProcedures } from "./analytics-journeys.ts";
import { funnelProcedures } from "./funnels.ts";

export const analyticsRouter = createTRPCRouter({
  overview: dashboardReadProcedure
    .input(analyticsInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<Overview> => getOverview(ctx.db, input, Date.now(), ctx.services.engine)),

  timeseries: dashboardReadProcedure
    .input(timeseriesInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<Timeseries> => getTimeseries(ctx.db, input, Date.now(), ctx.services.engine)),

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
    .query(({ ctx, input }): Promise<SessionsPage> => getSessions(ctx.db, input, Date.now(), ctx.services.engine)),

  realtime: dashboardReadProcedure
    .input(realtimeInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<Realtime> => getRealtime(ctx.db, input, Date.now())),

  users: projectProcedure
    .input(usersInputSchema)
    .use(analyticsLimits)
    .query(({ ctx, input }): Promise<UsersPage> => getUsers(ctx.db, input, Date.now(), ctx.services.engine)),

  goals: dashboardReadProcedure
    .input(goalStatsInputSchema)
    .use(analyticsLimits)
    .query(
      ({ ctx, input }): Promise<GoalsReport> =>
        getGoalStats(ctx.db, ctx.services.engine, input, Date.now()).catch((error: unknown) => {
          if (error instanceof GoalsUnavailableError) {
            throw new TRPCError({ code: "PRECONDITION_FAILED", message: error.message, cause: error });
          }
          throw error;
        }),
    ),

  // funnel, funnelPeople
  ...funnelProcedures,
  // retention, paths
  ...journeyProcedures,
});
