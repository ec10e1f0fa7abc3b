import { and, eq } from "drizzle-orm";
import type { Cohort, UpdateCohortInput } from "../../../shared/cohorts.ts";
import type { Database } from "../../db/client.ts";
import { cohorts } from "../../db/schema/index.ts";
import { type CohortReferenceProblem, checkCohortReferences, lockProjectCohorts } from "./check-cohort-references.ts";
import { toCohort } from "./list-cohorts.ts";

/** Changes a cohort's name and/or definition; null when the project has no such cohort, or why not. */
export async function updateCohort(
  db: Database,
  input: UpdateCohortInput,
): Promise<{ cohort: Cohort } | { problem: CohortReferenceProblem } | null> {
  return db.transaction(async (tx) => {
    await lockProjectCohorts(tx, input.projectId);
    if (input.definition) {
      const problem = await checkCohortReferences(tx, {
        projectId: input.projectId,
        selfId: input.cohortId,
        definition: input.definition,
      });
      if (problem) return { problem };
    }
    const changes: Partial<typeof cohorts.$inferInsert> = { updatedAt: new Date() };
    if (input.name !== undefined) changes.name = input.name;
    if (input.definition !== undefined) changes.definition = input.definition;
    const [row] = await tx
      .update(cohorts)
      .set(changes)
      .where(and(eq(cohorts.projectId, input.projectId), eq(cohorts.id, input.cohortId)))
      .returning();
    return row ? { cohort: toCohort(row) } : null;
  });
}
