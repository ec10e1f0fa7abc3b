import { sql } from "drizzle-orm";
import { MAX_COHORTS_PER_PROJECT } from "../../../shared/cohort-constants.ts";
import type { Cohort, CreateCohortInput } from "../../../shared/cohorts.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { cohorts } from "../../db/schema/index.ts";
import { type CohortReferenceProblem, checkCohortReferences, lockProjectCohorts } from "./check-cohort-references.ts";
import { toCohort } from "./list-cohorts.ts";

/** Saves a new cohort, or says why not (a bad reference, or the project's cohort limit). */
export async function createCohort(
  db: Database,
  input: CreateCohortInput,
): Promise<{ cohort: Cohort } | { problem: CohortReferenceProblem }> {
  return db.transaction(async (tx) => {
    await lockProjectCohorts(tx, input.projectId);
    const [count] = await queryRows<{ n: string | number }>(
      tx,
      sql`select count(*) as n from cohorts where project_id = ${input.projectId}::uuid`,
    );
    if (Number(count?.n ?? 0) >= MAX_COHORTS_PER_PROJECT) {
      return { problem: { path: [], message: `A project has at most ${MAX_COHORTS_PER_PROJECT} cohorts.` } };
    }
    const problem = await checkCohortReferences(tx, { ...input, selfId: null });
    if (problem) return { problem };
    const [row] = await tx
      .insert(cohorts)
      .values({ projectId: input.projectId, name: input.name, definition: input.definition })
      .returning();
    if (!row) throw new Error("insert into cohorts returned no row");
    return { cohort: toCohort(row) };
  });
}
