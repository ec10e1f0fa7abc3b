import { desc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { shares } from "../../db/schema/index.ts";
import type { ShareRow } from "./create-share.ts";

/** Every share of a project, revoked ones included, newest first. */
export async function listShares(db: Database, projectId: string): Promise<ShareRow[]> {
  return db
    .select()
    .from(shares)
    .where(eq(shares.projectId, projectId))
    .orderBy(desc(shares.createdAt), desc(shares.id));
}
