import type { FunnelStepInput, ResolvedFunnelStep } from "../../../shared/funnel.ts";
import { PAGE_VIEW_EVENT } from "../../../shared/goals.ts";
import type { Database } from "../../db/client.ts";
import { findGoals } from "../../queries/goals/find-goals.ts";

/** A step names a goal the project does not have (deleted, another project's, or never made). */
export class GoalNotFoundError extends Error {
  constructor(readonly stepIndex: number) {
    super(`Goal not found (steps.${stepIndex}.goalId).`);
  }
}

/**
 * Funnel steps with each `{ goalId }` replaced by what the goal matches: its event and filters, or page_view with its
 * path pattern. Goals are looked up in the project only, so another project's goal id is not found.
 */
export async function resolveGoalSteps(
  db: Database,
  projectId: string,
  steps: readonly FunnelStepInput[],
): Promise<ResolvedFunnelStep[]> {
  const ids = steps.flatMap((step) => ("goalId" in step ? [step.goalId] : []));
  const goals = await findGoals(db, projectId, ids);
  return steps.map((step, k): ResolvedFunnelStep => {
    if (!("goalId" in step)) return step;
    const goal = goals.get(step.goalId);
    if (!goal) throw new GoalNotFoundError(k);
    const named = { id: goal.id, name: goal.name };
    return goal.pathPattern !== null
      ? { event: PAGE_VIEW_EVENT, pathPattern: goal.pathPattern, goal: named }
      : { event: goal.event!, filters: goal.filters.length > 0 ? goal.filters : undefined, goal: named };
  });
}
