import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

export const projects = pgTable(
  "projects",
  {
    id: uuid().primaryKey().defaultRandom(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    domain: text(),
    // Only the SHA-256 (hex) of the key is stored; the prefix is for display ("proj_AbCd1234…").
    apiKeyHash: text().notNull(),
    apiKeyPrefix: text().notNull(),
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
    index("projects_owner_id_idx").on(table.ownerId),
  ],
);
