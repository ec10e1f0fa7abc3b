/**
 * The audit log (written by recordAudit, server/queries/audit/record-audit.ts): owners and admins read their team's;
 * the administrator reads any team's, or every team's by leaving out teamId. Members below admin: FORBIDDEN;
 * outside the team: NOT_FOUND (the team middleware's rule, init.ts).
 */
import { TRPCError } from "@trpc/server";
import { roleAtLeast } from "../../../../shared/roles.ts";
import { type AuditPage, auditListInputSchema } from "../../../../shared/teams.ts";
import { effectiveRole } from "../../../auth/effective-role.ts";
import { listAudit } from "../../../queries/audit/list-audit.ts";
import { findTeamAccess } from "../../../queries/teams/find-team-access.ts";
import { createTRPCRouter, protectedProcedure } from "../init.ts";

export const auditRouter = createTRPCRouter({
  list: protectedProcedure.input(auditListInputSchema).query(async ({ ctx, input }): Promise<AuditPage> => {
    const { db } = ctx.services;
    if (input.teamId) {
      const access = await findTeamAccess(db, { teamId: input.teamId, userId: ctx.user.id });
      const role = access && effectiveRole(access);
      if (!role) throw new TRPCError({ code: "NOT_FOUND", message: "Team not found." });
      if (!roleAtLeast(role, "admin"))
        throw new TRPCError({ code: "FORBIDDEN", message: "The audit log needs the admin role on this team." });
    } else if (!ctx.user.isSuperuser) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: "teamId: required (only the administrator reads every team).",
      });
    }
    const { rows, nextCursor } = await listAudit(db, {
      teamId: input.teamId ?? null,
      cursor: input.cursor ?? null,
      limit: input.limit,
    });
    return {
      items: rows.map((row) => ({
        id: row.id,
        teamId: row.teamId,
        projectId: row.projectId,
        actorUserId: row.actorUserId,
        actorEmail: row.actorEmail,
        action: row.action,
        target: row.target,
        details: row.details ?? null,
        createdAt: row.createdAt.toISOString(),
      })),
      nextCursor,
    };
  }),
});
