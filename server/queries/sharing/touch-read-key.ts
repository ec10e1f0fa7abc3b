import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { readKeys } from "../../db/schema/index.ts";

/** How stale `last_used_at` may be: a key used a thousand times a minute is written once. */
export const READ_KEY_TOUCH_INTERVAL_MS = 60_000;

/** Sets a key's last use to now unless it was set within the last minute (the condition makes that one statement). */
export async function touchReadKey(db: Database, id: string, now: Date = new Date()): Promise<void> {
  const staleBefore = new Date(now.getTime() - READ_KEY_TOUCH_INTERVAL_MS);
  await db
    .update(readKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(readKeys.id, id), or(isNull(readKeys.lastUsedAt), lt(readKeys.lastUsedAt, staleBefore))));
}
