import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";

/**
 * Whether a live read key may read this project: a project key its own project only; a team key every project whose
 * team is the key's team (one primary-key lookup, so a project moved to another team leaves the key's reach at
 * once). A false answer is a NOT_FOUND for the caller, the same as a missing project.
 */
export async function readKeyReachesProject(
  db: Database,
  key: { projectId: string | null; teamId: string | null },
  projectId: string,
): Promise<boolean> {
  if (key.projectId !== null) return key.projectId === projectId;
  if (key.teamId === null) return false;
  const [row] = await db
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.id, projectId), eq(projects.teamId, key.teamId)))
    .limit(1);
  return row !== undefined;
}
