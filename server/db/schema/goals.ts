/**
 * Goals of a project (shared/goals.ts): an event name with filters, or a page path pattern. Keyed by project first
 * (Citus distributes by it) with no foreign key to `projects`: deleteProjectData (server/pipeline/rollups/
 * delete-project-events.ts) removes a deleted project's goals.
 */

import { sql } from "drizzle-orm";
import { check, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { AnalyticsFilter } from "../../../shared/analytics.ts";

export const analyticsGoals = pgTable(
  "analytics_goals",
  {
    projectId: uuid().notNull(),
    id: uuid().notNull().defaultRandom(),
    name: text().notNull(),
    eventName: text(),
    filters: jsonb().$type<AnalyticsFilter[]>().notNull().default([]),
    pathPattern: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.projectId, table.id] }),
    // Exactly one of an event and a path pattern.
    check("analytics_goals_kind", sql`(${table.eventName} is null) <> (${table.pathPattern} is null)`),
  ],
);
