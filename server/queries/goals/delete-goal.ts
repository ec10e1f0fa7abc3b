import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { analyticsGoals } from "../../db/schema/index.ts";

/** Deletes one of a project's goals; false when the project has no goal with that id. */
export async function deleteGoal(db: Database, input: { projectId: string; goalId: string }): Promise<boolean> {
  const rows = await db
    .delete(analyticsGoals)
    .where(and(eq(analyticsGoals.projectId, input.projectId), eq(analyticsGoals.id, input.goalId)))
    .returning({ id: analyticsGoals.id });
  return rows.length > 0;
}
