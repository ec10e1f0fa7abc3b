import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";

export type ProjectRow = typeof projects.$inferSelect;

/** The project with this id if `ownerId` owns it, otherwise null (a missing and a foreign project look the same). */
export async function findOwnedProject(
  db: Database,
  input: { projectId: string; ownerId: string },
): Promise<ProjectRow | null> {
  const [row] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.id, input.projectId), eq(projects.ownerId, input.ownerId)))
    .limit(1);
  return row ?? null;
}
