/**
 * The funnel procedures of the analytics router (analytics.funnel, analytics.funnelPeople; spread into
 * analyticsRouter), with the limits of every analytics read. Work in server/analytics/funnels.
 */
import { TRPCError } from "@trpc/server";
import type { WithRawDataFrom } from "../../../../shared/analytics.ts";
import {
  type FunnelPeoplePage,
  type FunnelResult,
  funnelInputSchema,
  funnelPeopleInputSchema,
} from "../../../../shared/funnel.ts";
import { FunnelUnavailableError, getFunnel, getFunnelPeople } from "../../../analytics/funnels/get-funnel.ts";
import { GoalNotFoundError } from "../../../analytics/goals/resolve-goal-steps.ts";
import { withRawDataFrom } from "../../../analytics/raw-data-from.ts";
import { analyticsLimits } from "../analytics-limits.ts";
import { dashboardReadProcedure, projectProcedure } from "../init.ts";

function unavailable(error: unknown): never {
  if (error instanceof FunnelUnavailableError) {
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: error.message, cause: error });
  }
  if (error instanceof GoalNotFoundError) {
    throw new TRPCError({ code: "NOT_FOUND", message: error.message, cause: error });
  }
  throw error;
}

export const funnelProcedures = {
  funnel: dashboardReadProcedure
    .input(funnelInputSchema)
    .use(analyticsLimits)
    .query(
      ({ ctx, input }): Promise<WithRawDataFrom<FunnelResult>> =>
        withRawDataFrom(ctx.db, input.projectId, getFunnel(ctx.db, ctx.services.engine, input).catch(unavailable)),
    ),

  funnelPeople: projectProcedure
    .input(funnelPeopleInputSchema)
    .use(analyticsLimits)
    .query(
      ({ ctx, input }): Promise<WithRawDataFrom<FunnelPeoplePage>> =>
        withRawDataFrom(
          ctx.db,
          input.projectId,
          getFunnelPeople(ctx.db, ctx.services.engine, input).catch(unavailable),
        ),
    ),
};
