import { asc, eq } from "drizzle-orm";
import type { Goal } from "../../../shared/goals.ts";
import type { Database } from "../../db/client.ts";
import { analyticsGoals } from "../../db/schema/index.ts";

export type GoalRow = typeof analyticsGoals.$inferSelect;

/** A stored goal as the contract shows it. */
export function goalOf(row: GoalRow): Goal {
  return {
    id: row.id,
    name: row.name,
    event: row.eventName,
    filters: row.pathPattern === null ? row.filters : [],
    pathPattern: row.pathPattern,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A project's goals, oldest first (the order the dashboard lists them in). */
export async function listGoals(db: Database, projectId: string): Promise<Goal[]> {
  const rows = await db
    .select()
    .from(analyticsGoals)
    .where(eq(analyticsGoals.projectId, projectId))
    .orderBy(asc(analyticsGoals.createdAt), asc(analyticsGoals.id));
  return rows.map(goalOf);
}
