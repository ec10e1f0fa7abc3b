import { and, eq } from "drizzle-orm";
import { cohortReferences } from "../../../shared/cohorts.ts";
import type { Database } from "../../db/client.ts";
import { cohorts } from "../../db/schema/index.ts";
import { lockProjectCohorts } from "./check-cohort-references.ts";
import { listCohorts } from "./list-cohorts.ts";

/**
 * Deletes a cohort unless others refer to it: then nothing is deleted and `referencedBy` names them (delete or edit
 * those first), so no stored definition ever points at a missing cohort. Null when the project has no such cohort.
 */
export async function deleteCohort(
  db: Database,
  input: { projectId: string; cohortId: string },
): Promise<{ deleted: true } | { referencedBy: Array<{ id: string; name: string }> } | null> {
  return db.transaction(async (tx) => {
    await lockProjectCohorts(tx, input.projectId);
    const all = await listCohorts(tx, input.projectId);
    if (!all.some((cohort) => cohort.id === input.cohortId)) return null;
    const referencedBy = all
      .filter((cohort) => cohortReferences(cohort.definition).some((ref) => ref.cohortId === input.cohortId))
      .map(({ id, name }) => ({ id, name }));
    if (referencedBy.length > 0) return { referencedBy };
    await tx.delete(cohorts).where(and(eq(cohorts.projectId, input.projectId), eq(cohorts.id, input.cohortId)));
    return { deleted: true };
  });
}
