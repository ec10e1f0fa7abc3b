import { asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

/** Every project of one team, oldest first. */
export async function listTeamProjects(db: Database, teamId: string): Promise<ProjectRow[]> {
  return db
    .select()
    .from(projects)
    .where(eq(projects.teamId, teamId))
    .orderBy(asc(projects.createdAt), asc(projects.id));
}
