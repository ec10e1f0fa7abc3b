import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { readKeys } from "../../db/schema/index.ts";

/** Revokes a read key of this project; false when the project has no such live key. */
export async function revokeReadKey(db: Database, input: { projectId: string; id: string }): Promise<boolean> {
  const rows = await db
    .update(readKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(readKeys.id, input.id), eq(readKeys.projectId, input.projectId), isNull(readKeys.revokedAt)))
    .returning({ id: readKeys.id });
  return rows.length > 0;
}
