import type { Database } from "../../db/client.ts";
import { projects } from "../../db/schema/index.ts";
import type { ProjectRow } from "./find-owned-project.ts";

/** Inserts a project owned by `ownerId` with an already hashed API key. */
export async function createProject(
  db: Database,
  input: { ownerId: string; name: string; domain: string | null; apiKeyHash: string; apiKeyPrefix: string },
): Promise<ProjectRow> {
  const [row] = await db.insert(projects).values(input).returning();
  if (!row) throw new Error("insert into projects returned no row");
  return row;
}
