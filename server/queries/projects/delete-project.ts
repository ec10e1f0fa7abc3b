import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import { deleteProjectData } from "../../pipeline/rollups/delete-project-events.ts";
import type { ProjectRow } from "./project-row.ts";

/**
 * Deletes a project with its events and rollups (deleteProjectData: those tables have no foreign key), in
 * one transaction. Returns the deleted row, or null when it is missing (the caller checked the role).
 */
export async function deleteProject(db: Database, input: { projectId: string }): Promise<ProjectRow | null> {
  return db.transaction(async (tx) => {
    // Deleting the row first locks it: a worker storing this project's events finishes before (its FOR KEY SHARE
    // lock), and one that starts after finds the project gone and stores nothing.
    const [row] = await tx.delete(projects).where(eq(projects.id, input.projectId)).returning();
    if (!row) return null;
    await deleteProjectData(tx, row.id);
    return row;
  });
}
