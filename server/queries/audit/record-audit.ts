import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";

/** What happened, as stable dotted names (the audit page and API users read them). Add new ones here. */
export type AuditAction =
  | "team.created"
  | "team.renamed"
  | "team.deleted"
  | "member.role_changed"
  | "member.removed"
  | "member.left"
  | "member.joined"
  | "team.ownership_transferred"
  | "invitation.created"
  | "invitation.revoked"
  | "project.created"
  | "project.updated"
  | "project.deleted"
  | "project.key_rotated"
  | "share.created"
  | "share.revoked"
  | "read_key.created"
  | "read_key.revoked"
  | "person.deleted"
  | "person.exported";

export interface AuditEntryInput {
  teamId: string;
  projectId?: string | null;
  /** Who did it; null for the operator's command line (bun run admin). */
  actorUserId: string | null;
  action: AuditAction;
  /** Whom or what it was done to, for people to read: an email, a project or key name. Never analytics data. */
  target?: string | null;
  /** Small structured facts (e.g. { from: "viewer", to: "admin" }); never analytics data, never secrets. */
  details?: Record<string, unknown> | null;
}

/**
 * Appends one entry to the audit log (the one writer of audit_log). Call it after the change it records, with the
 * same `db` (or transaction) so a rolled-back change leaves no entry. The actor's email is copied in by the same
 * statement, so the entry still says who after the account is deleted.
 */
export async function recordAudit(db: Database, entry: AuditEntryInput): Promise<void> {
  const details = entry.details ? JSON.stringify(entry.details) : null;
  await db.execute(
    sql`insert into audit_log (team_id, project_id, actor_user_id, actor_email, action, target, details)
        values (${entry.teamId}, ${entry.projectId ?? null}, ${entry.actorUserId},
                (select email from users where id = ${entry.actorUserId}), ${entry.action}, ${entry.target ?? null},
                ${details}::jsonb)`,
  );
}
