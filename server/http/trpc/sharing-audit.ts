/**
 * The audit entries of sharing (issue 19, "Accounts and audit"): who made or revoked a share link or a read key, on
 * which project (or, for a team read key, which team), when. Never the token, the key or the password: the target is the share's or key's id (and a
 * key's name). Every such action calls auditSharing once, right after its change committed.
 */

import { type AuditAction, recordAudit } from "../../queries/audit/record-audit.ts";
import type { ProjectRow } from "../../queries/projects/project-row.ts";
import type { InnerContext } from "./init.ts";

export type SharingAuditAction = Extract<
  AuditAction,
  "share.created" | "share.revoked" | "read_key.created" | "read_key.revoked"
>;

export async function auditSharing(
  ctx: Pick<InnerContext, "services"> & { user: { id: string } } & (
      | { project: ProjectRow }
      | { auditScope: { teamId: string; projectId: string | null } }
    ),
  entry: { action: SharingAuditAction; targetId: string; name?: string },
): Promise<void> {
  // A team read key's entries carry its team and no project.
  const scope = "auditScope" in ctx ? ctx.auditScope : { teamId: ctx.project.teamId, projectId: ctx.project.id };
  await recordAudit(ctx.services.db, {
    teamId: scope.teamId,
    projectId: scope.projectId,
    actorUserId: ctx.user.id,
    action: entry.action,
    target: entry.name ?? entry.targetId,
    details: { id: entry.targetId },
  });
}
