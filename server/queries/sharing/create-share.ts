import type { Database } from "../../db/client.ts";
import { shares } from "../../db/schema/index.ts";

export type ShareRow = typeof shares.$inferSelect;

/** Stores a share of a project (its token only as a hash) and returns the row. */
export async function createShare(
  db: Database,
  input: {
    projectId: string;
    tokenHash: string;
    passwordHash: string | null;
    expiresAt: Date | null;
    createdBy: string;
  },
): Promise<ShareRow> {
  const [row] = await db.insert(shares).values(input).returning();
  if (!row) throw new Error("insert into shares returned no row");
  return row;
}
