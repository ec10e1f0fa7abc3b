/**
 * Where the privacy actions (people.delete, the person export) are recorded for the audit log: who did it, when, in
 * which project, never the person's ids or data (a deletion's record must not keep what it deleted). Until the audit
 * log (issue 20, teams) lands this writes a structured log line; its two call sites, "person.deleted" in
 * server/http/trpc/routers/people.ts and "person.exported" in server/http/routes/people-export.ts, are where
 * `recordAudit` goes.
 */
import type { Logger } from "../logger.ts";

export type PrivacyAction = "person.deleted" | "person.exported";

/** Records a privacy action (see the header). */
export function recordPrivacyAudit(
  logger: Logger,
  entry: { action: PrivacyAction; userId: string; projectId: string },
): void {
  logger.info("privacy action", { ...entry, at: new Date().toISOString() });
}
