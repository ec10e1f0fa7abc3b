/**
 * The teams contract: inputs of the `teams.*` and `audit.*` tRPC procedures and what they return. Depended on by
 * the server's teams and audit routers, the dashboard (team, invitation and audit pages) and API users. Names are a
 * contract: add, never rename. Roles and what each allows: ./roles.ts.
 *
 * Rules the server enforces (server/http/trpc/routers/teams.ts):
 * - Every account has a personal team, which cannot be deleted; a team with projects cannot be deleted either.
 * - Invitations are single-use, expire INVITATION_TTL_DAYS after they are made and are bound to the invited email.
 * - A team always keeps an owner: the last owner can neither leave nor be demoted or removed.
 * - The administrator (superuser) holds the owner role on every team and project (see server/http/trpc/init.ts).
 */
import { z } from "zod";
import { emailSchema } from "./auth.ts";
import { TEAM_ROLES, type TeamRole } from "./roles.ts";

export const INVITATION_TTL_DAYS = 7;
/** Path of the page that accepts an invitation: `/invite/<token>`. */
export const INVITATION_PATH = "/invite/";

const teamId = z.uuid({ message: "teamId must be a UUID" });
const userId = z.uuid({ message: "userId must be a UUID" });
export const teamRoleSchema = z.enum(TEAM_ROLES, { message: `role must be one of ${TEAM_ROLES.join(", ")}` });
/** Invitations give any role but owner: ownership is handed over by transferOwnership only. */
export const invitationRoleSchema = z.enum(["viewer", "editor", "admin"], {
  message: "role must be viewer, editor or admin",
});

export const teamNameSchema = z
  .string()
  .trim()
  .min(1, { message: "Name the team." })
  .max(100, { message: "A team name is at most 100 characters." });

/** `all`: every team of the server (the administrator only; others get FORBIDDEN). */
export const listTeamsInputSchema = z.object({ all: z.boolean().default(false) }).default({ all: false });
export const createTeamInputSchema = z.object({ name: teamNameSchema });
export const teamIdInputSchema = z.object({ teamId });
export const renameTeamInputSchema = z.object({ teamId, name: teamNameSchema });
export const setMemberRoleInputSchema = z.object({ teamId, userId, role: teamRoleSchema });
export const memberInputSchema = z.object({ teamId, userId });
export const inviteInputSchema = z.object({ teamId, email: emailSchema, role: invitationRoleSchema });
export const invitationIdInputSchema = z.object({ teamId, id: z.uuid({ message: "id must be a UUID" }) });
export const invitationTokenInputSchema = z.object({
  token: z.string().min(1, { message: "token is required" }).max(200, { message: "token is too long" }),
});

export interface Team {
  id: string;
  name: string;
  personal: boolean;
  /** The caller's role, null when the administrator lists a team they are not in. */
  role: TeamRole | null;
  memberCount: number;
  projectCount: number;
  createdAt: string;
}

export interface TeamMember {
  userId: string;
  email: string;
  fullName: string | null;
  role: TeamRole;
  joinedAt: string;
}

export interface TeamInvitation {
  id: string;
  email: string;
  role: TeamRole;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
}

/** What invite returns: the link is shown (and mailed when SMTP is configured) this once. */
export interface CreatedInvitation {
  invitation: TeamInvitation;
  token: string;
  /** `/invite/<token>`, absolute when PUBLIC_URL is set. */
  url: string;
  mailed: boolean;
}

/** What the accept page shows before signing in or registering (only to whoever holds the link). */
export interface InvitationInfo {
  /** The team's id: opens its page for whoever joined (anyone else gets NOT_FOUND there). */
  teamId: string;
  teamName: string;
  email: string;
  role: TeamRole;
  status: "pending" | "used" | "revoked" | "expired";
  /** Whether an account with this email exists (sign in) or not (register). */
  accountExists: boolean;
}

export const AUDIT_PAGE_SIZE = 50;
/** `teamId` is required except for the administrator, who may omit it to read every team's entries. */
export const auditListInputSchema = z.object({
  teamId: teamId.optional(),
  cursor: z.number().int().min(1).nullish(),
  limit: z.number().int().min(1).max(200).default(AUDIT_PAGE_SIZE),
});

export interface AuditEntry {
  id: number;
  teamId: string;
  projectId: string | null;
  actorUserId: string | null;
  actorEmail: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: number | null;
}
