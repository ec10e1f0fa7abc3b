import type { Database } from "../../db/client.ts";
import { readKeys } from "../../db/schema/index.ts";

export type ReadKeyRow = typeof readKeys.$inferSelect;

/** Stores a read key of a project (only its hash and display prefix) and returns the row. */
export async function createReadKey(
  db: Database,
  input: { projectId: string; name: string; keyHash: string; keyPrefix: string; scopes: string[]; createdBy: string },
): Promise<ReadKeyRow> {
  const [row] = await db.insert(readKeys).values(input).returning();
  if (!row) throw new Error("insert into read_keys returned no row");
  return row;
}
