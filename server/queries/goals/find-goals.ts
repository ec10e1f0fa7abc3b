import { and, eq, inArray } from "drizzle-orm";
import type { Goal } from "../../../shared/goals.ts";
import type { Database } from "../../db/client.ts";
import { analyticsGoals } from "../../db/schema/index.ts";
import { goalOf } from "./list-goals.ts";

/** The project's goals with these ids, by id; an id of another project (or none) is simply absent. */
export async function findGoals(
  db: Database,
  projectId: string,
  goalIds: readonly string[],
): Promise<Map<string, Goal>> {
  if (goalIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(analyticsGoals)
    .where(and(eq(analyticsGoals.projectId, projectId), inArray(analyticsGoals.id, [...new Set(goalIds)])));
  return new Map(rows.map((row) => [row.id, goalOf(row)]));
}
