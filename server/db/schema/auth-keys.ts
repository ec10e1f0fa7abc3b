import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The login state of embedded mode (sessions, refresh-token ids, revocation tombstones, "valid after" markers),
 * written through by server/infra/persistent-key-store.ts so a restart keeps every login as it was. With Redis the
 * same keys live in Redis and this table stays empty.
 */
export const authKeys = pgTable(
  "auth_keys",
  {
    key: text().primaryKey(),
    value: text().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [index("auth_keys_expires_at_idx").on(table.expiresAt)],
);
