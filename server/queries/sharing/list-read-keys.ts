import { desc } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { readKeys } from "../../db/schema/index.ts";
import type { ReadKeyOwner, ReadKeyRow } from "./create-read-key.ts";
import { ownedBy } from "./read-key-owned-by.ts";

/** Every read key of a project or of a team (not the team's projects' keys), revoked ones included, newest first. */
export async function listReadKeys(db: Database, owner: ReadKeyOwner): Promise<ReadKeyRow[]> {
  return db.select().from(readKeys).where(ownedBy(owner)).orderBy(desc(readKeys.createdAt), desc(readKeys.id));
}
