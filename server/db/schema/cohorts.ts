import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Saved cohorts (shared/cohorts.ts): a name and a definition over people, evaluated when read
 * (server/analytics/cohorts). Keyed by project like every project table, no foreign key to `projects`: a project's
 * cohorts go with it in deleteProject.
 */
export const cohorts = pgTable(
  "cohorts",
  {
    projectId: uuid().notNull(),
    id: uuid().notNull().defaultRandom(),
    name: text().notNull(),
    /** The CohortDefinition of shared/cohorts.ts, as parsed (so stored definitions are always valid). */
    definition: jsonb().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: "cohorts_pkey", columns: [table.projectId, table.id] }),
    index("cohorts_project_created_idx").on(table.projectId, table.createdAt),
  ],
);
