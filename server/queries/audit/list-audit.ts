import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { auditLog } from "../../db/schema/index.ts";

export type AuditRow = typeof auditLog.$inferSelect;

/**
 * One page of audit entries, newest first: one team's, or every team's when `teamId` is null (the administrator).
 * `cursor` is the id of the last entry of the previous page; the next page starts below it.
 */
export async function listAudit(
  db: Database,
  input: { teamId: string | null; cursor: number | null; limit: number },
): Promise<{ rows: AuditRow[]; nextCursor: number | null }> {
  const conditions: SQL[] = [];
  if (input.teamId) conditions.push(eq(auditLog.teamId, input.teamId));
  if (input.cursor !== null) conditions.push(lt(auditLog.id, input.cursor));
  const rows = await db
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null };
}
