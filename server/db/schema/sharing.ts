import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * Read access given out by a project's admins: share links (a public, read-only dashboard) and read keys (the
 * Stats API and export). Keyed by project_id like every project table, with no foreign key to projects: deleting a
 * project removes these rows through deleteProjectData (server/pipeline/rollups/delete-project-events.ts).
 *
 * Only a SHA-256 of a share token or a read key is stored (hex), so a database dump gives nobody access; the token
 * or key itself leaves the server once, in the answer to shares.create / apiKeys.create. Revoking sets revoked_at,
 * which every request checks: revocation is immediate.
 *
 * A read key belongs to one project OR to one team (exactly one of project_id, team_id: read_keys_one_owner); a team
 * key reads every project whose team_id is its team, now and later (readKeyReaches in read-grant.ts). Team keys are
 * removed with their team (deleteTeam), project keys with their project.
 */
export const shares = pgTable(
  "shares",
  {
    projectId: uuid().notNull(),
    id: uuid().primaryKey().defaultRandom(),
    tokenHash: text().notNull(),
    /** argon2id, like account passwords; null for a share without a password. */
    passwordHash: text(),
    expiresAt: timestamp({ withTimezone: true }),
    createdBy: uuid().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    uniqueIndex("shares_token_hash_key").on(table.tokenHash),
    index("shares_project_id_idx").on(table.projectId),
  ],
);

export const readKeys = pgTable(
  "read_keys",
  {
    projectId: uuid(),
    /** Set (and project_id null) for a team-wide key. No foreign key, like project_id. */
    teamId: uuid(),
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    keyHash: text().notNull(),
    /** For display: `read_` and the first characters of the key. */
    keyPrefix: text().notNull(),
    scopes: text().array().notNull(),
    createdBy: uuid().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Updated at most once a minute per key (see touchReadKey), so a busy API client costs no write per call. */
    lastUsedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    uniqueIndex("read_keys_key_hash_key").on(table.keyHash),
    index("read_keys_project_id_idx").on(table.projectId),
    index("read_keys_team_id_idx").on(table.teamId),
    check("read_keys_one_owner", sql`(${table.projectId} is null) <> (${table.teamId} is null)`),
  ],
);
