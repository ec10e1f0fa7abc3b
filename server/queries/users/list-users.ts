import { asc, count } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { users } from "../../db/schema/index.ts";
import type { UserRow } from "./find-user-by-id.ts";

/** A page of users, oldest first, with the total number of users. */
export async function listUsers(
  db: Database,
  input: { limit: number; offset: number },
): Promise<{ rows: UserRow[]; total: number }> {
  const [rows, totals] = await Promise.all([
    db.select().from(users).orderBy(asc(users.createdAt), asc(users.id)).limit(input.limit).offset(input.offset),
    db.select({ n: count() }).from(users),
  ]);
  return { rows, total: totals[0]?.n ?? 0 };
}
