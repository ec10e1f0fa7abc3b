import { asc, eq } from "drizzle-orm";
import type { Cohort, CohortDefinition } from "../../../shared/cohorts.ts";
import type { Database } from "../../db/client.ts";
import { cohorts } from "../../db/schema/index.ts";

export type CohortRow = typeof cohorts.$inferSelect;

/** A stored row as the contract's Cohort. */
export function toCohort(row: CohortRow): Cohort {
  return {
    id: row.id,
    name: row.name,
    definition: row.definition as CohortDefinition,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A project's cohorts, oldest first. */
export async function listCohorts(db: Database, projectId: string): Promise<Cohort[]> {
  const rows = await db
    .select()
    .from(cohorts)
    .where(eq(cohorts.projectId, projectId))
    .orderBy(asc(cohorts.createdAt), asc(cohorts.id));
  return rows.map(toCohort);
}
