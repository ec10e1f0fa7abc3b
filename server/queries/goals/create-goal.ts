import { count, eq, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";
import { type Goal, MAX_GOALS_PER_PROJECT } from "../../../shared/goals.ts";
import type { Database } from "../../db/client.ts";
import { analyticsGoals } from "../../db/schema/index.ts";
import { goalOf } from "./list-goals.ts";

/** Thrown when a project already holds MAX_GOALS_PER_PROJECT goals. */
export class TooManyGoalsError extends Error {
  constructor() {
    super(`A project holds at most ${MAX_GOALS_PER_PROJECT} goals: delete one first.`);
  }
}

/**
 * Stores a goal: an event with filters, or a path pattern (exactly one, checked by the contract and the table).
 * The count and the insert share a transaction holding the project row, so two creates cannot pass the limit.
 */
export async function createGoal(
  db: Database,
  input: { projectId: string; name: string; event?: string; filters?: AnalyticsFilter[]; pathPattern?: string },
): Promise<Goal> {
  return db.transaction(async (tx) => {
    // NO KEY UPDATE serializes goal creates of the project without waiting on the workers' FOR KEY SHARE.
    await tx.execute(sql`select 1 from projects where id = ${input.projectId}::uuid for no key update`);
    const [held] = await tx
      .select({ n: count() })
      .from(analyticsGoals)
      .where(eq(analyticsGoals.projectId, input.projectId));
    if ((held?.n ?? 0) >= MAX_GOALS_PER_PROJECT) throw new TooManyGoalsError();
    const [row] = await tx
      .insert(analyticsGoals)
      .values({
        projectId: input.projectId,
        name: input.name,
        eventName: input.event ?? null,
        filters: input.pathPattern === undefined ? (input.filters ?? []) : [],
        pathPattern: input.pathPattern ?? null,
      })
      .returning();
    return goalOf(row!);
  });
}
