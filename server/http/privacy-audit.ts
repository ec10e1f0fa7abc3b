/**
 * Where the privacy actions (people.delete, the person export) are recorded in the audit log: who did it, when, in
 * which project, never the person's ids or data (a deletion's record must not keep what it deleted). Called from
 * "person.deleted" in server/http/trpc/routers/people.ts and "person.exported" in
 * server/http/routes/people-export.ts.
 */
import type { Database } from "../db/client.ts";
import { type AuditAction, recordAudit } from "../queries/audit/record-audit.ts";

export type PrivacyAction = Extract<AuditAction, "person.deleted" | "person.exported">;

/** Records a privacy action (see the header). */
export async function recordPrivacyAudit(
  db: Database,
  entry: { action: PrivacyAction; userId: string; project: { id: string; teamId: string } },
): Promise<void> {
  await recordAudit(db, {
    teamId: entry.project.teamId,
    projectId: entry.project.id,
    actorUserId: entry.userId,
    action: entry.action,
  });
}
