import { index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The events a project's bot filter dropped (server/pipeline/store/bot-user-agent.ts): their key and timestamp
 * only, no user agent, id or property. The key makes the count exact like `events`' own dedupe: a redelivered batch
 * or a client's resend of a dropped event adds no row, so `count(*)` over a range is the number of distinct events
 * dropped in it (analytics.overview's `botEventsFiltered`), with the same [from, to) edges as every other figure.
 * No foreign key to projects, like every table keyed by project (see deleteProjectData).
 */
export const botFilteredEvents = pgTable(
  "bot_filtered_events",
  {
    projectId: uuid().notNull(),
    insertId: text().notNull(),
    timestamp: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ name: "bot_filtered_events_pkey", columns: [table.projectId, table.insertId] }),
    index("bot_filtered_events_project_timestamp_idx").on(table.projectId, table.timestamp),
  ],
);
