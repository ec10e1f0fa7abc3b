import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { readKeys } from "../../db/schema/index.ts";
import type { ReadKeyRow } from "./create-read-key.ts";

/** The unrevoked read key with this hash, else null. Read on every Stats API call: a revoked key fails at once. */
export async function findLiveReadKey(db: Database, keyHash: string): Promise<ReadKeyRow | null> {
  const [row] = await db
    .select()
    .from(readKeys)
    .where(and(eq(readKeys.keyHash, keyHash), isNull(readKeys.revokedAt)))
    .limit(1);
  return row ?? null;
}
