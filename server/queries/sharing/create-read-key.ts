import type { Database } from "../../db/client.ts";
import { readKeys } from "../../db/schema/index.ts";

export type ReadKeyRow = typeof readKeys.$inferSelect;

/** A key's owner: exactly one of the two (the table's read_keys_one_owner check). */
export type ReadKeyOwner = { projectId: string; teamId: null } | { projectId: null; teamId: string };

/** Stores a read key of a project or of a team (only its hash and display prefix) and returns the row. */
export async function createReadKey(
  db: Database,
  input: ReadKeyOwner & {
    name: string;
    keyHash: string;
    keyPrefix: string;
    scopes: string[];
    createdBy: string;
  },
): Promise<ReadKeyRow> {
  const [row] = await db.insert(readKeys).values(input).returning();
  if (!row) throw new Error("insert into read_keys returned no row");
  return row;
}
