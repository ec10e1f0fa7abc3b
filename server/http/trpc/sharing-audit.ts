/**
 * The audit entries of sharing (issue 19, "Accounts and audit"): who made or revoked a share link or a read key, on
 * which project, when. Never the token, the key or the password. Every such action calls auditSharing once, right
 * after its change committed; until the audit log's table exists (the teams work brings `recordAudit`) the entry
 * is a structured log line, and this function is the one place to hand it to recordAudit instead.
 */
import type { InnerContext } from "./init.ts";

export type SharingAuditAction = "share.create" | "share.revoke" | "read_key.create" | "read_key.revoke";

export function auditSharing(
  ctx: Pick<InnerContext, "services" | "requestId">,
  entry: { action: SharingAuditAction; actorId: string; projectId: string; targetId: string },
): void {
  ctx.services.logger.info("audit", { ...entry, requestId: ctx.requestId });
}
