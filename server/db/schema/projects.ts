import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { teams } from "./teams.ts";

export const projects = pgTable(
  "projects",
  {
    id: uuid().primaryKey().defaultRandom(),
    // The team the project belongs to: its members' roles decide who may do what (server/http/trpc/init.ts). A team
    // with projects cannot be deleted (teams.delete refuses), hence no cascade.
    teamId: uuid()
      .notNull()
      .references(() => teams.id),
    name: text().notNull(),
    domain: text(),
    // Only the SHA-256 (hex) of the key is stored; the prefix is for display ("proj_AbCd1234…").
    apiKeyHash: text().notNull(),
    apiKeyPrefix: text().notNull(),
    // Events from bots and crawlers are dropped (and counted in bot_filtered_events) while this is on. The worker
    // reads it in the statement that already locks the project for each batch, so a change applies to the next one.
    botFiltering: boolean().notNull().default(true),
    /**
     * Raw events older than this many days are removed by the worker's maintenance loop (server/pipeline/retention);
     * null keeps them forever. One of RETENTION_DAYS (shared/projects.ts).
     */
    retentionDays: integer(),
    /** With retention: keep the rollups of removed events, so unfiltered answers over older ranges still add up. */
    keepAggregatesPastRetention: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("projects_api_key_hash_key").on(table.apiKeyHash),
    index("projects_team_id_idx").on(table.teamId),
  ],
);
