/**
 * Cohorts of one project (shared/cohorts.ts): reads for any member (projectProcedure), writes for editors
 * (projectRoleProcedure("editor")). An unknown cohort id, or another project's, is NOT_FOUND. A definition whose
 * cohort references are unknown, deleted or circular is BAD_REQUEST naming the reference's path (as a zod issue, like
 * every other refusal); deleting a cohort that others refer to is CONFLICT naming them. Sizes are evaluated by the
 * query engine when read (server/analytics/cohorts), under the limits of every analytics read.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { resolveRange, type WithRawDataFrom } from "../../../../shared/analytics.ts";
import {
  type Cohort,
  type CohortsList,
  type CohortWithSize,
  cohortInputSchema,
  cohortNamesInputSchema,
  cohortsListInputSchema,
  createCohortInputSchema,
  updateCohortInputSchema,
} from "../../../../shared/cohorts.ts";
import { getCohortSizes } from "../../../analytics/cohorts/get-cohort-sizes.ts";
import { getRawDataFrom } from "../../../analytics/raw-data-from.ts";
import type { CohortReferenceProblem } from "../../../queries/cohorts/check-cohort-references.ts";
import { createCohort } from "../../../queries/cohorts/create-cohort.ts";
import { deleteCohort } from "../../../queries/cohorts/delete-cohort.ts";
import { findCohort } from "../../../queries/cohorts/find-cohort.ts";
import { listCohorts } from "../../../queries/cohorts/list-cohorts.ts";
import { updateCohort } from "../../../queries/cohorts/update-cohort.ts";
import { analyticsLimits } from "../analytics-limits.ts";
import { createTRPCRouter, projectProcedure, projectRoleProcedure } from "../init.ts";

const NOT_FOUND = "No cohort with this id in this project.";

function found<T>(value: T | null): T {
  if (value === null) throw new TRPCError({ code: "NOT_FOUND", message: NOT_FOUND });
  return value;
}

/** A reference problem as BAD_REQUEST with a zod issue at its path (made by a parse, as tRPC's own input errors). */
function refused(problem: CohortReferenceProblem): never {
  const cause = z
    .any()
    .superRefine((_, ctx) => ctx.addIssue({ code: "custom", path: problem.path, message: problem.message }))
    .safeParse(null).error;
  const where = problem.path.length ? `${problem.path.join(".")}: ` : "";
  throw new TRPCError({ code: "BAD_REQUEST", message: `${where}${problem.message}`, cause });
}

function saved(result: { cohort: Cohort } | { problem: CohortReferenceProblem } | null): Cohort {
  const value = found(result);
  if ("problem" in value) refused(value.problem);
  return value.cohort;
}

export const cohortsRouter = createTRPCRouter({
  list: projectProcedure
    .input(cohortsListInputSchema)
    .use(analyticsLimits)
    .query(async ({ ctx, input }): Promise<WithRawDataFrom<CohortsList>> => {
      const now = Date.now();
      const start = resolveRange(input, now).from.getTime();
      const cohorts = await listCohorts(ctx.db, input.projectId);
      const sizes = await getCohortSizes(
        ctx.db,
        ctx.services.engine,
        { projectId: input.projectId, cohorts, all: cohorts },
        [now, start],
      );
      return {
        rawDataFrom: await getRawDataFrom(ctx.db, input.projectId, now),
        items: cohorts.map((cohort, i) => ({ ...cohort, size: sizes[i]![0]!, sizeAtStart: sizes[i]![1]! })),
        start: new Date(start).toISOString(),
      };
    }),

  /** Ids and names, in list's order: what a filter chip or picker needs, without evaluating any cohort. */
  names: projectProcedure
    .input(cohortNamesInputSchema)
    .query(async ({ ctx, input }): Promise<{ items: Array<{ id: string; name: string }> }> => {
      const cohorts = await listCohorts(ctx.services.db, input.projectId);
      return { items: cohorts.map(({ id, name }) => ({ id, name })) };
    }),

  get: projectProcedure
    .input(cohortInputSchema)
    .use(analyticsLimits)
    .query(async ({ ctx, input }): Promise<WithRawDataFrom<CohortWithSize>> => {
      const cohort = found(await findCohort(ctx.db, input));
      const all = await listCohorts(ctx.db, input.projectId);
      const [sizes] = await getCohortSizes(
        ctx.db,
        ctx.services.engine,
        { projectId: input.projectId, cohorts: [cohort], all },
        [Date.now()],
      );
      return { ...cohort, size: sizes![0]!, rawDataFrom: await getRawDataFrom(ctx.db, input.projectId) };
    }),

  create: projectRoleProcedure("editor")
    .input(createCohortInputSchema)
    .mutation(async ({ ctx, input }): Promise<Cohort> => saved(await createCohort(ctx.services.db, input))),

  update: projectRoleProcedure("editor")
    .input(updateCohortInputSchema)
    .mutation(async ({ ctx, input }): Promise<Cohort> => saved(await updateCohort(ctx.services.db, input))),

  delete: projectRoleProcedure("editor")
    .input(cohortInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ deleted: true }> => {
      const result = found(await deleteCohort(ctx.services.db, input));
      if ("referencedBy" in result) {
        const names = result.referencedBy.map((cohort) => `"${cohort.name}"`).join(", ");
        throw new TRPCError({
          code: "CONFLICT",
          message: `Other cohorts refer to this one: ${names}. Remove the reference from them, or delete them, first.`,
        });
      }
      return result;
    }),
});
