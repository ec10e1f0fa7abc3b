import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

/** Changes a project's name, domain and/or bot filtering; null when it is missing (the caller checked the role). */
export async function updateProject(
  db: Database,
  input: { projectId: string; name?: string; domain?: string | null; botFiltering?: boolean },
): Promise<ProjectRow | null> {
  const changes: Partial<Pick<ProjectRow, "name" | "domain" | "botFiltering">> = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.domain !== undefined) changes.domain = input.domain;
  if (input.botFiltering !== undefined) changes.botFiltering = input.botFiltering;
  const [row] = await db
    .update(projects)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(projects.id, input.projectId))
    .returning();
  return row ?? null;
}
