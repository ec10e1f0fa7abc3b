/**
 * analytics.retention and analytics.paths (merged into the analytics router, same guard: projectProcedure, then
 * analyticsLimits). Both read the query engine only: a first-ever cohort or a session's whole walk needs every
 * stored event, so while a project's upgrade backfill runs they answer PRECONDITION_FAILED rather than a slow raw
 * scan or a partial answer.
 */
import { TRPCError } from "@trpc/server";
import type { WithRawDataFrom } from "../../../../shared/analytics.ts";
import { type Paths, pathsInputSchema } from "../../../../shared/paths.ts";
import { type Retention, retentionInputSchema } from "../../../../shared/retention.ts";
import { getPaths } from "../../../analytics/paths/get-paths.ts";
import { withRawDataFrom } from "../../../analytics/raw-data-from.ts";
import { getRetention } from "../../../analytics/retention/get-retention.ts";
import { analyticsLimits } from "../analytics-limits.ts";
import { dashboardReadProcedure } from "../init.ts";

function servedByEngine<T>(answer: T | null): T {
  if (answer === null) {
    throw new TRPCError({
      code: "PRECONDITION_FAILED",
      message: "This analysis is available once the upgrade backfill finishes.",
    });
  }
  return answer;
}

export const journeyProcedures = {
  retention: dashboardReadProcedure
    .input(retentionInputSchema)
    .use(analyticsLimits)
    .query(async ({ ctx, input }): Promise<WithRawDataFrom<Retention>> => {
      const now = Date.now();
      const answer = getRetention(ctx.db, input, now, ctx.services.engine).then(servedByEngine);
      return withRawDataFrom(ctx.db, input.projectId, answer, now);
    }),

  paths: dashboardReadProcedure
    .input(pathsInputSchema)
    .use(analyticsLimits)
    .query(async ({ ctx, input }): Promise<WithRawDataFrom<Paths>> => {
      const now = Date.now();
      const answer = getPaths(ctx.db, input, now, ctx.services.engine).then(servedByEngine);
      return withRawDataFrom(ctx.db, input.projectId, answer, now);
    }),
};
