import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./project-row.ts";

/** Inserts a project of team `teamId` with an already hashed API key (the caller checked the role there). */
export async function createProject(
  db: Database,
  input: { teamId: string; name: string; domain: string | null; apiKeyHash: string; apiKeyPrefix: string },
): Promise<ProjectRow> {
  const [row] = await db.insert(projects).values(input).returning();
  if (!row) throw new Error("insert into projects returned no row");
  return row;
}
