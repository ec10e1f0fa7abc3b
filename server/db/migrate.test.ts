import { describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { createTestDatabase } from "../test-support/services.ts";
import { openDatabase, queryRows } from "./client.ts";
import { migrateDatabase } from "./migrate.ts";

describe("migrateDatabase", () => {
  it("lets several processes migrate an empty database at once", async () => {
    const database = await createTestDatabase();
    const handles = await Promise.all(
      [1, 2, 3].map(() => openDatabase({ databaseUrl: database.url, dataDir: "/tmp", poolSize: 2 })),
    );
    try {
      await Promise.all(handles.map((handle) => migrateDatabase(handle)));
      const tables = await queryRows<{ table_name: string }>(
        handles[0]!.db,
        sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(["users", "projects", "events", "analytics_rollups"]),
      );
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
      await database.drop();
    }
  });
});
