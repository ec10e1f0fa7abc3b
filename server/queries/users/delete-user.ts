import { eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects, users } from "../../db/schema/index.ts";

/**
 * Deletes a user with their projects (ON DELETE CASCADE, rollups included) and those projects' events (explicitly:
 * `events` has no foreign key, see storeEvents), in one transaction.
 */
export async function deleteUser(db: Database, id: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const owned = await tx.delete(projects).where(eq(projects.ownerId, id)).returning({ id: projects.id });
    for (const project of owned) await tx.execute(sql`delete from events where project_id = ${project.id}::uuid`);
    const deleted = await tx.delete(users).where(eq(users.id, id)).returning({ id: users.id });
    return deleted.length > 0;
  });
}
