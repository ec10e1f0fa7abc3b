/**
 * Goals of a project (shared/goals.ts): anyone on the project lists them, editors create and delete. The Goals
 * card's figures are analytics.goals (routers/analytics.ts). Work in server/queries/goals.
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
import { createTRPCRouter, projectProcedure, projectRoleProcedure } from "../init.ts";

export const goalsRouter = createTRPCRouter({
  list: projectProcedure
    .input(listGoalsInputSchema)
    .query(({ ctx, input }): Promise<Goal[]> => listGoals(ctx.services.db, input.projectId)),

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
