import type { Cohort } from "../../../shared/cohorts.ts";
import type { Database } from "../../db/client.ts";
import type { QueryEngine } from "../engine/query-engine.ts";
import { CohortEngineUnavailableError, computeCohortMembers } from "./compute-cohort-members.ts";

/**
 * The number of members of each of `cohorts` at each instant of `at` (ms), in order: null for every one while the
 * query engine does not serve the project. References resolve among `all`, the project's cohorts (every stored
 * reference names one of them, since saving and deleting check it).
 */
export async function getCohortSizes(
  db: Database,
  engine: QueryEngine,
  input: { projectId: string; cohorts: readonly Cohort[]; all: readonly Cohort[] },
  at: readonly number[],
): Promise<Array<Array<number | null>>> {
  const { projectId, cohorts } = input;
  const definitions = new Map(input.all.map((cohort) => [cohort.id, cohort.definition]));
  const load = async (id: string) => definitions.get(id) ?? null;
  const sizes: Array<Array<number | null>> = [];
  try {
    for (const cohort of cohorts) {
      const row: Array<number | null> = [];
      for (const instant of at) {
        const { size } = await computeCohortMembers(
          db,
          engine,
          { projectId, definition: cohort.definition, at: instant, cohortId: cohort.id },
          load,
        );
        row.push(size);
      }
      sizes.push(row);
    }
  } catch (error) {
    if (error instanceof CohortEngineUnavailableError) return cohorts.map(() => at.map(() => null));
    throw error;
  }
  return sizes;
}
