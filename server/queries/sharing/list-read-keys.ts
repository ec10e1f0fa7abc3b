import { desc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { readKeys } from "../../db/schema/index.ts";
import type { ReadKeyRow } from "./create-read-key.ts";

/** Every read key of a project, revoked ones included, newest first. */
export async function listReadKeys(db: Database, projectId: string): Promise<ReadKeyRow[]> {
  return db
    .select()
    .from(readKeys)
    .where(eq(readKeys.projectId, projectId))
    .orderBy(desc(readKeys.createdAt), desc(readKeys.id));
}
