/**
 * Applies the committed drizzle-kit migrations in ./drizzle. On PostgreSQL several replicas may start at once and
 * drizzle's migrator takes no lock, so we hold a session advisory lock on a reserved connection around it.
 */
import path from "node:path";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { DatabaseHandle } from "./client.ts";

const migrationsFolder = path.resolve(import.meta.dirname, "../../drizzle");
// Arbitrary but fixed: every process of this product agrees on it.
const MIGRATION_LOCK_KEY = 724_091_337;

/** Brings the schema up to date; safe to call from several processes at once. */
export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  if (handle.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(handle.db as never, { migrationsFolder });
    return;
  }
  const connection = await handle.sql.reserve();
  try {
    await connection`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(handle.db as never, { migrationsFolder });
  } finally {
    await connection`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    connection.release();
  }
}
