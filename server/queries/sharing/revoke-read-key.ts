import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { readKeys } from "../../db/schema/index.ts";
import type { ReadKeyOwner } from "./create-read-key.ts";
import { ownedBy } from "./read-key-owned-by.ts";

/** Revokes a read key of this project or team; false when it has no such live key. */
export async function revokeReadKey(db: Database, input: ReadKeyOwner & { id: string }): Promise<boolean> {
  const rows = await db
    .update(readKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(readKeys.id, input.id), ownedBy(input), isNull(readKeys.revokedAt)))
    .returning({ id: readKeys.id });
  return rows.length > 0;
}
