/**
 * Analytics of one project, its owner only: analyticsProcedure (projectProcedure with a statement timeout, cancel on
 * disconnect and, embedded, a bound on the work) answers NOT_FOUND for anyone else's project. Inputs
 * are validated by the shared schemas (an unknown time zone or an inverted range is BAD_REQUEST before any SQL);
 * the work is in server/queries/analytics, one query per procedure.
 */
import {
  analyticsInputSchema,
  breakdownInputSchema,
  sessionsInputSchema,
  timeseriesInputSchema,
  topEventsInputSchema,
  usersInputSchema,
  type BreakdownRow,
  type Overview,
  type SessionsPage,
  type Timeseries,
  type TopEvent,
  type UsersPage,
} from "../../../shared/analytics.ts";
import { getBreakdown } from "../../queries/analytics/get-breakdown.ts";
import { getOverview } from "../../queries/analytics/get-overview.ts";
import { getSessions } from "../../queries/analytics/get-sessions.ts";
import { getTimeseries } from "../../queries/analytics/get-timeseries.ts";
import { getTopEvents } from "../../queries/analytics/get-top-events.ts";
import { getUsers } from "../../queries/analytics/get-users.ts";
import { analyticsProcedure } from "../analytics-procedure.ts";
import { createTRPCRouter } from "../init.ts";

export const analyticsRouter = createTRPCRouter({
  overview: analyticsProcedure
    .input(analyticsInputSchema)
    .query(({ ctx, input }): Promise<Overview> => getOverview(ctx.db, input)),

  timeseries: analyticsProcedure
    .input(timeseriesInputSchema)
    .query(({ ctx, input }): Promise<Timeseries> => getTimeseries(ctx.db, input)),

  topEvents: analyticsProcedure
    .input(topEventsInputSchema)
    .query(({ ctx, input }): Promise<TopEvent[]> => getTopEvents(ctx.db, input)),

  breakdown: analyticsProcedure
    .input(breakdownInputSchema)
    .query(({ ctx, input }): Promise<BreakdownRow[]> => getBreakdown(ctx.db, input)),

  sessions: analyticsProcedure
    .input(sessionsInputSchema)
    .query(({ ctx, input }): Promise<SessionsPage> => getSessions(ctx.db, input)),

  users: analyticsProcedure
    .input(usersInputSchema)
    .query(({ ctx, input }): Promise<UsersPage> => getUsers(ctx.db, input)),
});
