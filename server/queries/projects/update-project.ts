import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

/** Changes a project's name, domain, bot filtering and/or retention; null when it is missing (the caller checked the role). */
export async function updateProject(
  db: Database,
  input: {
    projectId: string;
    name?: string | undefined;
    domain?: string | null | undefined;
    botFiltering?: boolean | undefined;
    retentionDays?: number | null | undefined;
    keepAggregatesPastRetention?: boolean | undefined;
  },
): Promise<ProjectRow | null> {
  const changes: Partial<
    Pick<ProjectRow, "name" | "domain" | "botFiltering" | "retentionDays" | "keepAggregatesPastRetention">
  > = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.domain !== undefined) changes.domain = input.domain;
  if (input.botFiltering !== undefined) changes.botFiltering = input.botFiltering;
  if (input.retentionDays !== undefined) changes.retentionDays = input.retentionDays;
  if (input.keepAggregatesPastRetention !== undefined)
    changes.keepAggregatesPastRetention = input.keepAggregatesPastRetention;
  const [row] = await db
    .update(projects)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(projects.id, input.projectId))
    .returning();
  return row ?? null;
}
