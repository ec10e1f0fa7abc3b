import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

/**
 * Swaps a project's API key hash and prefix and returns the updated row with the hash it replaced; null when
 * the project is missing (the caller checked the role). The old key matches no row from the moment this commits.
 */
export async function replaceProjectApiKey(
  db: Database,
  input: { projectId: string; apiKeyHash: string; apiKeyPrefix: string },
): Promise<{ project: ProjectRow; oldApiKeyHash: string } | null> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ apiKeyHash: projects.apiKeyHash })
      .from(projects)
      .where(eq(projects.id, input.projectId))
      .for("update");
    if (!current) return null;
    const [project] = await tx
      .update(projects)
      .set({ apiKeyHash: input.apiKeyHash, apiKeyPrefix: input.apiKeyPrefix, updatedAt: new Date() })
      .where(eq(projects.id, input.projectId))
      .returning();
    if (!project) throw new Error("update of a locked project row returned no row");
    return { project, oldApiKeyHash: current.apiKeyHash };
  });
}
