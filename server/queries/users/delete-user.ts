import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects, users } from "../../db/schema/index.ts";
import { deleteProjectData } from "../../pipeline/rollups/delete-project-events.ts";

/**
 * Deletes a user with their projects and those projects' events and rollups (deleteProjectData: those tables have no
 * foreign key), in one transaction.
 */
export async function deleteUser(db: Database, id: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const owned = await tx.delete(projects).where(eq(projects.ownerId, id)).returning({ id: projects.id });
    for (const project of owned) await deleteProjectData(tx, project.id);
    const deleted = await tx.delete(users).where(eq(users.id, id)).returning({ id: users.id });
    return deleted.length > 0;
  });
}
