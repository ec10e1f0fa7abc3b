import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import { deleteProjectData } from "../../pipeline/rollups/delete-project-events.ts";
import type { ProjectRow } from "./find-owned-project.ts";

/**
 * Deletes an owned project with its events and rollups (deleteProjectData: those tables have no foreign key), in
 * one transaction. Returns the deleted row, or null when the project is missing or not the owner's.
 */
export async function deleteProject(
  db: Database,
  input: { projectId: string; ownerId: string },
): Promise<ProjectRow | null> {
  return db.transaction(async (tx) => {
    // Deleting the row first locks it: a worker storing this project's events finishes before (its FOR KEY SHARE
    // lock), and one that starts after finds the project gone and stores nothing.
    const [row] = await tx
      .delete(projects)
      .where(and(eq(projects.id, input.projectId), eq(projects.ownerId, input.ownerId)))
      .returning();
    if (!row) return null;
    await deleteProjectData(tx, row.id);
    // Definitions, not event data: they stay when only the events are deleted, and go with the project.
    await tx.execute(sql`delete from cohorts where project_id = ${row.id}::uuid`);
    return row;
  });
}
