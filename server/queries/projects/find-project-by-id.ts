import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

/**
 * The project with this id, whoever owns it, or null. Only for callers whose access was checked otherwise (a live
 * share or read key names its project); never with an id taken from a request.
 */
export async function findProjectById(db: Database, projectId: string): Promise<ProjectRow | null> {
  const [row] = await db.select().from(projects).where(eq(projects.id, projectId)).limit(1);
  return row ?? null;
}
