import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./find-owned-project.ts";

/** Changes an owned project's name, domain and/or retention; null when the project is missing or not the owner's. */
export async function updateProject(
  db: Database,
  input: {
    projectId: string;
    ownerId: string;
    name?: string | undefined;
    domain?: string | null | undefined;
    retentionDays?: number | null | undefined;
    keepAggregatesPastRetention?: boolean | undefined;
  },
): Promise<ProjectRow | null> {
  const changes: Partial<Pick<ProjectRow, "name" | "domain" | "retentionDays" | "keepAggregatesPastRetention">> = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.domain !== undefined) changes.domain = input.domain;
  if (input.retentionDays !== undefined) changes.retentionDays = input.retentionDays;
  if (input.keepAggregatesPastRetention !== undefined)
    changes.keepAggregatesPastRetention = input.keepAggregatesPastRetention;
  const [row] = await db
    .update(projects)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(projects.id, input.projectId), eq(projects.ownerId, input.ownerId)))
    .returning();
  return row ?? null;
}
