import { and, eq } from "drizzle-orm";
import type { Cohort } from "../../../shared/cohorts.ts";
import type { Database } from "../../db/client.ts";
import { cohorts } from "../../db/schema/index.ts";
import { toCohort } from "./list-cohorts.ts";

/** The project's cohort `cohortId`, or null (unknown, deleted, or another project's). */
export async function findCohort(db: Database, input: { projectId: string; cohortId: string }): Promise<Cohort | null> {
  const [row] = await db
    .select()
    .from(cohorts)
    .where(and(eq(cohorts.projectId, input.projectId), eq(cohorts.id, input.cohortId)));
  return row ? toCohort(row) : null;
}
