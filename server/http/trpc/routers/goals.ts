/**
 * Goals of a project (shared/goals.ts): anyone on the project lists them, editors create and delete. The Goals
 * card's figures are analytics.goals (routers/analytics.ts). Work in server/queries/goals.
 * A share page lists them too (its read-only Goals card), for its own project only (dashboardReadProcedure), but
 * without their filters: a filter's value (`email is …`) may name a person, which a share never shows.
 */
import { TRPCError } from "@trpc/server";
import {
  createGoalInputSchema,
  deleteGoalInputSchema,
  type Goal,
  listGoalsInputSchema,
} from "../../../../shared/goals.ts";
import { createGoal, TooManyGoalsError } from "../../../queries/goals/create-goal.ts";
import { deleteGoal } from "../../../queries/goals/delete-goal.ts";
import { listGoals } from "../../../queries/goals/list-goals.ts";
import { createTRPCRouter, dashboardReadProcedure, projectRoleProcedure } from "../init.ts";

export const goalsRouter = createTRPCRouter({
  list: dashboardReadProcedure.input(listGoalsInputSchema).query(async ({ ctx, input }): Promise<Goal[]> => {
    const goals = await listGoals(ctx.services.db, input.projectId);
    return ctx.grant ? goals.map((goal) => ({ ...goal, filters: [] })) : goals;
  }),

  create: projectRoleProcedure("editor")
    .input(createGoalInputSchema)
    .mutation(
      ({ ctx, input }): Promise<Goal> =>
        createGoal(ctx.services.db, input).catch((error: unknown) => {
          if (error instanceof TooManyGoalsError) {
            throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
          }
          throw error;
        }),
    ),

  delete: projectRoleProcedure("editor")
    .input(deleteGoalInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ deleted: true }> => {
      if (!(await deleteGoal(ctx.services.db, input)))
        throw new TRPCError({ code: "NOT_FOUND", message: "Goal not found." });
      return { deleted: true };
    }),
});
