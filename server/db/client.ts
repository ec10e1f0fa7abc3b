/**
 * One database type for both drivers: postgres.js against PostgreSQL (DATABASE_URL set) and embedded PGlite
 * (data on disk under DATA_DIR/pg). PGlite is imported lazily so production never loads its WASM.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { lockDataFolder } from "./data-folder-lock.ts";
import * as schema from "./schema/index.ts";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Every connection of the product says so in pg_stat_activity, so operators can tell our statements apart. */
export const APPLICATION_NAME = "analytics-dashboard";

export type DatabaseHandle =
  | { kind: "postgres"; db: Database; sql: postgres.Sql; close(): Promise<void> }
  | { kind: "pglite"; db: Database; pglite: import("@electric-sql/pglite").PGlite; close(): Promise<void> };

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize: number;
}

/** Opens PostgreSQL when a URL is given, otherwise the embedded PGlite database in `dataDir/pg`. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, {
      max: options.poolSize,
      // A connection attempt during an outage should fail in seconds, not postgres.js's default 30.
      connect_timeout: 5,
      onnotice: () => {},
      // JIT off: LLVM compilation of a large analytics statement checks no interrupts, so neither statement_timeout
      // nor pg_cancel_backend/pg_terminate_backend could stop it (12+ minutes, and every DROP DATABASE on the cluster
      // waited). Set at connection start, so it holds whatever the server's postgresql.conf says.
      connection: { application_name: APPLICATION_NAME, jit: "off" },
    });
    const db = drizzlePostgres(sql, { schema, casing: "snake_case" }) as unknown as Database;
    return { kind: "postgres", db, sql, close: () => sql.end({ timeout: 5 }) };
  }
  return openPglite(options.dataDir);
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const folder = path.resolve(dataDir, "pg");
  await mkdir(dataDir, { recursive: true });
  const releaseLock = await lockDataFolder(path.resolve(dataDir, "pg.lock"));
  try {
    const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
      import("@electric-sql/pglite"),
      import("drizzle-orm/pglite"),
    ]);
    const pglite = await PGlite.create(folder);
    const db = drizzlePglite(pglite, { schema, casing: "snake_case" }) as unknown as Database;
    return {
      kind: "pglite",
      db,
      pglite,
      close: async () => {
        await pglite.close();
        await releaseLock();
      },
    };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}

/** Runs a raw query and returns its rows, whichever driver is underneath (postgres.js gives an array, PGlite `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
