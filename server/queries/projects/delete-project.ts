import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./find-owned-project.ts";

/**
 * Deletes an owned project; its events and hourly rollups go with it (ON DELETE CASCADE). Returns the deleted row,
 * or null when the project is missing or not the owner's.
 */
export async function deleteProject(db: Database, input: { projectId: string; ownerId: string }): Promise<ProjectRow | null> {
  const [row] = await db
    .delete(projects)
    .where(and(eq(projects.id, input.projectId), eq(projects.ownerId, input.ownerId)))
    .returning();
  return row ?? null;
}
