import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { shares } from "../../db/schema/index.ts";

/** Revokes a share of this project; false when the project has no such live share. */
export async function revokeShare(db: Database, input: { projectId: string; id: string }): Promise<boolean> {
  const rows = await db
    .update(shares)
    .set({ revokedAt: new Date() })
    .where(and(eq(shares.id, input.id), eq(shares.projectId, input.projectId), isNull(shares.revokedAt)))
    .returning({ id: shares.id });
  return rows.length > 0;
}
