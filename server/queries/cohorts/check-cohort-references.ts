import { sql } from "drizzle-orm";
import { MAX_COHORT_NESTING } from "../../../shared/cohort-constants.ts";
import { type CohortDefinition, cohortReferences } from "../../../shared/cohorts.ts";
import type { Database } from "../../db/client.ts";
import { listCohorts } from "./list-cohorts.ts";

/** Why a definition cannot be saved, at the zod path of the offending reference. */
export interface CohortReferenceProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * Takes the project's cohort-writing lock for the caller's transaction: two saves that would together close a cycle
 * (A -> B and B -> A at once) run one after the other, so the second sees the first's reference.
 */
export async function lockProjectCohorts(tx: Database, projectId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`cohorts:${projectId}`}::text, 0))`);
}

/**
 * Checks the cohort references of `definition`, saved as cohort `selfId` (null for a new one): each must name an
 * existing cohort of the project, none may lead back to `selfId` directly or through others, and chains stay within
 * MAX_COHORT_NESTING. Returns the first problem, or null. Call under lockProjectCohorts.
 */
export async function checkCohortReferences(
  tx: Database,
  input: { projectId: string; selfId: string | null; definition: CohortDefinition },
): Promise<CohortReferenceProblem | null> {
  const refs = cohortReferences(input.definition);
  if (refs.length === 0) return null;
  const stored = await listCohorts(tx, input.projectId);
  const byId = new Map(stored.map((cohort) => [cohort.id, cohort]));
  const refsOf = (id: string) => cohortReferences(byId.get(id)!.definition).map((ref) => ref.cohortId);
  for (const ref of refs) {
    if (ref.cohortId === input.selfId) {
      return { path: ref.path, message: "A cohort cannot refer to itself." };
    }
    const target = byId.get(ref.cohortId);
    if (!target) {
      return { path: ref.path, message: `No cohort ${ref.cohortId} in this project (unknown or deleted).` };
    }
    // Depth-first from the referenced cohort: a path back to this one is a cycle; a long chain is refused.
    const chain = [target.name];
    const walk = (id: string, depth: number): CohortReferenceProblem | null => {
      if (depth > MAX_COHORT_NESTING) {
        return { path: ref.path, message: `Cohort references nest at most ${MAX_COHORT_NESTING} deep.` };
      }
      for (const next of refsOf(id)) {
        if (next === input.selfId) {
          return {
            path: ref.path,
            message: `This would make a cycle: the cohort would refer to itself through ${chain.join(" -> ")}.`,
          };
        }
        if (!byId.has(next)) continue; // a stored definition's references were checked when it was saved
        chain.push(byId.get(next)!.name);
        const problem = walk(next, depth + 1);
        chain.pop();
        if (problem) return problem;
      }
      return null;
    };
    const problem = walk(target.id, 2);
    if (problem) return problem;
  }
  return null;
}
