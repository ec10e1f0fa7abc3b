/**
 * Teams: membership, roles, invitations and ownership (rules in shared/teams.ts, roles in shared/roles.ts). Every
 * call naming a team goes through teamRoleProcedure (init.ts): NOT_FOUND outside the team, FORBIDDEN below the role.
 *   viewer  list members                 admin  rename, invite, list/revoke invitations, change roles, remove members
 *   owner   delete the team, transfer ownership, make or unmake owners
 * A removal (or leaving) ends that person's access at once: the next call is refused by the middleware, and their
 * open live feeds on the team's projects close through the access-revoked signal. Each change is audited.
 */
import { TRPCError } from "@trpc/server";
import {
  type CreatedInvitation,
  createTeamInputSchema,
  INVITATION_TTL_DAYS,
  type InvitationInfo,
  invitationIdInputSchema,
  invitationTokenInputSchema,
  inviteInputSchema,
  listTeamsInputSchema,
  memberInputSchema,
  renameTeamInputSchema,
  setMemberRoleInputSchema,
  type Team,
  type TeamInvitation,
  type TeamMember,
  teamIdInputSchema,
} from "../../../../shared/teams.ts";
import { publishAccessRevoked } from "../../../auth/access-revoked.ts";
import { generateInvitationToken, hashInvitationToken, invitationUrl } from "../../../auth/invitation-tokens.ts";
import { recordAudit } from "../../../queries/audit/record-audit.ts";
import { listTeamProjects } from "../../../queries/projects/list-team-projects.ts";
import { acceptInvitation } from "../../../queries/teams/accept-invitation.ts";
import { createInvitation } from "../../../queries/teams/create-invitation.ts";
import { createTeam } from "../../../queries/teams/create-team.ts";
import { deleteTeam } from "../../../queries/teams/delete-team.ts";
import { findInvitationByTokenHash } from "../../../queries/teams/find-invitation-by-token-hash.ts";
import { listInvitations } from "../../../queries/teams/list-invitations.ts";
import { listTeamMembers } from "../../../queries/teams/list-team-members.ts";
import { listTeams } from "../../../queries/teams/list-teams.ts";
import { removeTeamMember } from "../../../queries/teams/remove-team-member.ts";
import { renameTeam } from "../../../queries/teams/rename-team.ts";
import { revokeInvitation } from "../../../queries/teams/revoke-invitation.ts";
import { setMemberRole } from "../../../queries/teams/set-member-role.ts";
import type { TeamInvitationRow, TeamRow } from "../../../queries/teams/team-rows.ts";
import { transferTeamOwnership } from "../../../queries/teams/transfer-team-ownership.ts";
import { findUserByEmail } from "../../../queries/users/find-user-by-email.ts";
import { findUserById } from "../../../queries/users/find-user-by-id.ts";
import type { Services } from "../../../services.ts";
import { sendInvitationMail } from "../../mail/invitation-mail.ts";
import { createTRPCRouter, protectedProcedure, publicProcedure, rateLimited, teamRoleProcedure } from "../init.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

function toPublicTeam(row: TeamRow & { role: Team["role"]; memberCount: number; projectCount: number }): Team {
  return {
    id: row.id,
    name: row.name,
    personal: row.personalUserId !== null,
    role: row.role,
    memberCount: row.memberCount,
    projectCount: row.projectCount,
    createdAt: row.createdAt.toISOString(),
  };
}

function toPublicInvitation(row: TeamInvitationRow, now: number): TeamInvitation {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    expired: row.expiresAt.getTime() <= now,
  };
}

const memberNotFound = () => new TRPCError({ code: "NOT_FOUND", message: "No such member in this team." });
const lastOwner = () =>
  new TRPCError({
    code: "PRECONDITION_FAILED",
    message: "A team keeps at least one owner: transfer ownership (or make another owner) first.",
  });
const needsOwner = () =>
  new TRPCError({ code: "FORBIDDEN", message: "Only an owner can make, change or remove an owner." });

/** Closes the person's live feeds on every project of the team (the middleware refuses their next call anyway). */
async function announceRemoval(services: Services, teamId: string, userId: string, reason: string): Promise<void> {
  for (const project of await listTeamProjects(services.db, teamId))
    await publishAccessRevoked(services, { userId, projectId: project.id, reason });
}

async function emailOf(services: Services, userId: string): Promise<string | null> {
  return (await findUserById(services.db, userId))?.email ?? null;
}

export const teamsRouter = createTRPCRouter({
  /** The caller's teams with their role (personal first); `all: true` lists every team (administrator only). */
  list: protectedProcedure.input(listTeamsInputSchema).query(async ({ ctx, input }): Promise<Team[]> => {
    if (input.all && !ctx.user.isSuperuser)
      throw new TRPCError({ code: "FORBIDDEN", message: "Only the administrator can list every team." });
    const rows = await listTeams(ctx.services.db, { userId: ctx.user.id, all: input.all });
    return rows.map(toPublicTeam);
  }),

  /** Creates a team; the caller is its owner. */
  create: protectedProcedure.input(createTeamInputSchema).mutation(async ({ ctx, input }): Promise<Team> => {
    const team = await createTeam(ctx.services.db, { name: input.name, ownerUserId: ctx.user.id });
    await recordAudit(ctx.services.db, {
      teamId: team.id,
      actorUserId: ctx.user.id,
      action: "team.created",
      target: team.name,
    });
    return toPublicTeam({ ...team, role: "owner", memberCount: 1, projectCount: 0 });
  }),

  rename: teamRoleProcedure("admin")
    .input(renameTeamInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ id: string; name: string }> => {
      const row = await renameTeam(ctx.services.db, { teamId: ctx.team.id, name: input.name });
      if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "Team not found." });
      await recordAudit(ctx.services.db, {
        teamId: row.id,
        actorUserId: ctx.user.id,
        action: "team.renamed",
        target: row.name,
        details: { from: ctx.team.name, to: row.name },
      });
      return { id: row.id, name: row.name };
    }),

  /**
   * Deletes a team with its memberships and invitations (owner). Refused while it has projects (PRECONDITION_FAILED:
   * delete them first, so analytics data never goes by surprise) and for a personal team.
   */
  delete: teamRoleProcedure("owner")
    .input(teamIdInputSchema)
    .mutation(async ({ ctx }): Promise<{ id: string }> => {
      const result = await deleteTeam(ctx.services.db, ctx.team.id);
      if (result === "not-found") throw new TRPCError({ code: "NOT_FOUND", message: "Team not found." });
      if (result === "personal")
        throw new TRPCError({ code: "PRECONDITION_FAILED", message: "A personal team cannot be deleted." });
      if (result === "has-projects")
        throw new TRPCError({
          code: "PRECONDITION_FAILED",
          message: "This team still has projects: delete them first.",
        });
      await recordAudit(ctx.services.db, {
        teamId: ctx.team.id,
        actorUserId: ctx.user.id,
        action: "team.deleted",
        target: ctx.team.name,
      });
      return { id: ctx.team.id };
    }),

  /** The members with their roles (any member). */
  members: teamRoleProcedure("viewer")
    .input(teamIdInputSchema)
    .query(async ({ ctx }): Promise<TeamMember[]> => {
      const rows = await listTeamMembers(ctx.services.db, ctx.team.id);
      return rows.map((row) => ({ ...row, joinedAt: row.joinedAt.toISOString() }));
    }),

  /** Changes a member's role (admin; owner roles: owners only). The last owner cannot be demoted. */
  setRole: teamRoleProcedure("admin")
    .input(setMemberRoleInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ ok: true }> => {
      const result = await setMemberRole(ctx.services.db, {
        teamId: ctx.team.id,
        userId: input.userId,
        role: input.role,
        actorRole: ctx.teamRole,
      });
      if (result.status === "not-member") throw memberNotFound();
      if (result.status === "needs-owner") throw needsOwner();
      if (result.status === "last-owner") throw lastOwner();
      if (result.from !== result.to)
        await recordAudit(ctx.services.db, {
          teamId: ctx.team.id,
          actorUserId: ctx.user.id,
          action: "member.role_changed",
          target: await emailOf(ctx.services, input.userId),
          details: { userId: input.userId, from: result.from, to: result.to },
        });
      return { ok: true };
    }),

  /** Removes a member (admin; an owner: owners only; never the last owner); their access ends at once. */
  removeMember: teamRoleProcedure("admin")
    .input(memberInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ ok: true }> => {
      const email = await emailOf(ctx.services, input.userId);
      const result = await removeTeamMember(ctx.services.db, {
        teamId: ctx.team.id,
        userId: input.userId,
        actorRole: ctx.teamRole,
      });
      if (result.status === "not-member") throw memberNotFound();
      if (result.status === "needs-owner") throw needsOwner();
      if (result.status === "last-owner") throw lastOwner();
      await recordAudit(ctx.services.db, {
        teamId: ctx.team.id,
        actorUserId: ctx.user.id,
        action: "member.removed",
        target: email,
        details: { userId: input.userId, role: result.role },
      });
      await announceRemoval(ctx.services, ctx.team.id, input.userId, "team-member-removed");
      return { ok: true };
    }),

  /** Leaves a team (any member but its last owner). */
  leave: teamRoleProcedure("viewer")
    .input(teamIdInputSchema)
    .mutation(async ({ ctx }): Promise<{ ok: true }> => {
      if (!ctx.teamMemberRole)
        throw new TRPCError({ code: "BAD_REQUEST", message: "You are not a member of this team." });
      const result = await removeTeamMember(ctx.services.db, {
        teamId: ctx.team.id,
        userId: ctx.user.id,
        actorRole: ctx.teamMemberRole,
      });
      if (result.status === "not-member") throw memberNotFound();
      if (result.status === "last-owner" || result.status === "needs-owner") throw lastOwner();
      await recordAudit(ctx.services.db, {
        teamId: ctx.team.id,
        actorUserId: ctx.user.id,
        action: "member.left",
        target: ctx.user.email,
        details: { role: result.role },
      });
      await announceRemoval(ctx.services, ctx.team.id, ctx.user.id, "team-member-left");
      return { ok: true };
    }),

  /** Makes another member an owner and the caller an admin (owner). */
  transferOwnership: teamRoleProcedure("owner")
    .input(memberInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ ok: true }> => {
      const result = await transferTeamOwnership(ctx.services.db, {
        teamId: ctx.team.id,
        fromUserId: ctx.teamMemberRole === "owner" ? ctx.user.id : null,
        toUserId: input.userId,
      });
      if (result.status === "not-member") throw memberNotFound();
      await recordAudit(ctx.services.db, {
        teamId: ctx.team.id,
        actorUserId: ctx.user.id,
        action: "team.ownership_transferred",
        target: await emailOf(ctx.services, input.userId),
        details: { userId: input.userId, previousRole: result.previousRole },
      });
      return { ok: true };
    }),

  /**
   * Invites an email with a role (admin; any role but owner). The link is returned this once and, when SMTP is
   * configured, mailed; it works once, for that email only, within INVITATION_TTL_DAYS days.
   */
  invite: teamRoleProcedure("admin")
    .use(rateLimited({ name: "invite", perMinute: 20 }))
    .input(inviteInputSchema)
    .mutation(async ({ ctx, input }): Promise<CreatedInvitation> => {
      const { token, tokenHash } = generateInvitationToken();
      const now = Date.now();
      const row = await createInvitation(ctx.services.db, {
        teamId: ctx.team.id,
        email: input.email,
        role: input.role,
        tokenHash,
        invitedByUserId: ctx.user.id,
        expiresAt: new Date(now + INVITATION_TTL_DAYS * DAY_MS),
      });
      await recordAudit(ctx.services.db, {
        teamId: ctx.team.id,
        actorUserId: ctx.user.id,
        action: "invitation.created",
        target: row.email,
        details: { invitationId: row.id, role: row.role },
      });
      const url = invitationUrl(ctx.services.config.PUBLIC_URL, token);
      const mailed = await sendInvitationMail(ctx.services, {
        to: row.email,
        teamName: ctx.team.name,
        invitedBy: ctx.user.email,
        role: row.role,
        url,
      });
      return { invitation: toPublicInvitation(row, now), token, url, mailed };
    }),

  /** Pending invitations (admin); expired ones are listed, marked, until revoked. */
  invitations: teamRoleProcedure("admin")
    .input(teamIdInputSchema)
    .query(async ({ ctx }): Promise<TeamInvitation[]> => {
      const now = Date.now();
      return (await listInvitations(ctx.services.db, ctx.team.id)).map((row) => toPublicInvitation(row, now));
    }),

  /** Revokes a pending invitation (admin): its link stops working at once. */
  revokeInvitation: teamRoleProcedure("admin")
    .input(invitationIdInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ id: string }> => {
      const row = await revokeInvitation(ctx.services.db, { teamId: ctx.team.id, invitationId: input.id });
      if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "No pending invitation with this id in this team." });
      await recordAudit(ctx.services.db, {
        teamId: ctx.team.id,
        actorUserId: ctx.user.id,
        action: "invitation.revoked",
        target: row.email,
        details: { invitationId: row.id },
      });
      return { id: row.id };
    }),

  /**
   * What an invitation link is for (team, email, role, status), for the accept page before signing in. Only whoever
   * holds the link can ask (the token is 256 random bits); rate limited per IP.
   */
  invitation: publicProcedure
    .use(rateLimited({ name: "invitation-info", perMinute: 30 }))
    .input(invitationTokenInputSchema)
    .query(async ({ ctx, input }): Promise<InvitationInfo> => {
      const row = await findInvitationByTokenHash(ctx.services.db, hashInvitationToken(input.token));
      if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "This invitation link is not valid." });
      const status = row.acceptedAt
        ? "used"
        : row.revokedAt
          ? "revoked"
          : row.expiresAt.getTime() <= Date.now()
            ? "expired"
            : "pending";
      const accountExists = (await findUserByEmail(ctx.services.db, row.email)) !== null;
      return { teamId: row.teamId, teamName: row.teamName, email: row.email, role: row.role, status, accountExists };
    }),

  /** Accepts an invitation as the signed-in account, which must have the invited email. */
  acceptInvitation: protectedProcedure
    .use(rateLimited({ name: "invitation-accept", perMinute: 30 }))
    .input(invitationTokenInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ teamId: string }> => {
      const result = await acceptInvitation(ctx.services.db, {
        tokenHash: hashInvitationToken(input.token),
        userId: ctx.user.id,
        email: ctx.user.email,
        now: new Date(),
      });
      switch (result.status) {
        case "invalid":
          throw new TRPCError({ code: "NOT_FOUND", message: "This invitation link is not valid." });
        case "used":
          throw new TRPCError({ code: "CONFLICT", message: "This invitation has already been used." });
        case "revoked":
          throw new TRPCError({ code: "PRECONDITION_FAILED", message: "This invitation was revoked." });
        case "expired":
          throw new TRPCError({
            code: "PRECONDITION_FAILED",
            message: "This invitation has expired: ask for a new one.",
          });
        case "wrong-email":
          throw new TRPCError({
            code: "FORBIDDEN",
            message: "This invitation is for another email address: sign in with that one.",
          });
      }
      await recordAudit(ctx.services.db, {
        teamId: result.invitation.teamId,
        actorUserId: ctx.user.id,
        action: "member.joined",
        target: ctx.user.email,
        details: {
          invitationId: result.invitation.id,
          role: result.invitation.role,
          alreadyMember: result.alreadyMember,
        },
      });
      return { teamId: result.invitation.teamId };
    }),
});
