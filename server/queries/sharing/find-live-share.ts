import { and, eq, gt, isNull, or, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { shares } from "../../db/schema/index.ts";
import type { ShareRow } from "./create-share.ts";

/**
 * The share with this token hash or id if it is neither revoked nor expired, else null (unknown, revoked and expired
 * look the same). Read on every request of a share page, so revoking or expiring a share ends it at the next one.
 */
export async function findLiveShare(
  db: Database,
  by: { tokenHash: string } | { id: string },
  now: Date = new Date(),
): Promise<ShareRow | null> {
  const match: SQL = "tokenHash" in by ? eq(shares.tokenHash, by.tokenHash) : eq(shares.id, by.id);
  const [row] = await db
    .select()
    .from(shares)
    .where(and(match, isNull(shares.revokedAt), or(isNull(shares.expiresAt), gt(shares.expiresAt, now))))
    .limit(1);
  return row ?? null;
}
