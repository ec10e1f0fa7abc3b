import { eq, type SQL } from "drizzle-orm";
import { readKeys } from "../../db/schema/index.ts";
import type { ReadKeyOwner } from "./create-read-key.ts";

/** The condition "this key belongs to that project / team" (each column is indexed). */
export function ownedBy(owner: ReadKeyOwner): SQL {
  return owner.projectId !== null ? eq(readKeys.projectId, owner.projectId) : eq(readKeys.teamId, owner.teamId);
}
