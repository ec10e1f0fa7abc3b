import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { TEAM_ROLES } from "../../../shared/roles.ts";
import { users } from "./users.ts";

/**
 * Teams own projects; people hold a role in a team (shared/roles.ts). Small control-plane tables, not keyed by
 * project. Every account has one personal team (personal_user_id), made with the account; it becomes an ordinary
 * team if that account is deleted while the team has other members (another owner).
 */
export const teams = pgTable(
  "teams",
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    personalUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("teams_personal_user_id_key").on(table.personalUserId)],
);

export const teamMembers = pgTable(
  "team_members",
  {
    teamId: uuid()
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text({ enum: TEAM_ROLES }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.teamId, table.userId] }),
    index("team_members_user_id_idx").on(table.userId),
  ],
);

/**
 * Invitations by link: only the SHA-256 of the token is stored; single-use (accepted_at), revocable (revoked_at),
 * expiring (expires_at), bound to `email` (compared case-insensitively with the accepting account's).
 */
export const teamInvitations = pgTable(
  "team_invitations",
  {
    id: uuid().primaryKey().defaultRandom(),
    teamId: uuid()
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    email: text().notNull(),
    role: text({ enum: TEAM_ROLES }).notNull(),
    tokenHash: text().notNull(),
    invitedByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    acceptedAt: timestamp({ withTimezone: true }),
    acceptedByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    uniqueIndex("team_invitations_token_hash_key").on(table.tokenHash),
    index("team_invitations_team_id_idx").on(table.teamId, table.createdAt),
    index("team_invitations_email_idx").on(sql`lower(${table.email})`),
  ],
);

/**
 * Who did what, when, in a team: role changes, invitations, removals, key rotation, project deletion, shares, read
 * keys, people deletion. Never analytics data. No foreign keys: the history outlives the team, project and actor it
 * names (the actor's email is copied in when the entry is written). Written by recordAudit
 * (server/queries/audit/record-audit.ts) only.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    teamId: uuid().notNull(),
    id: bigint({ mode: "number" }).generatedAlwaysAsIdentity(),
    projectId: uuid(),
    actorUserId: uuid(),
    actorEmail: text(),
    action: text().notNull(),
    target: text(),
    details: jsonb().$type<Record<string, unknown>>(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.teamId, table.id] }), index("audit_log_id_idx").on(table.id)],
);

/** Password reset by email: the SHA-256 of a single-use token, expiring. */
export const passwordResetTokens = pgTable(
  "password_reset_tokens",
  {
    tokenHash: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
  },
  (table) => [index("password_reset_tokens_user_id_idx").on(table.userId)],
);
