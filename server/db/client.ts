/**
 * One database type for both drivers: postgres.js against PostgreSQL (DATABASE_URL set) and embedded PGlite
 * (data on disk under DATA_DIR/pg). PGlite is imported lazily so production never loads its WASM.
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
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

/**
 * PGlite cannot stop two processes from opening the same folder (which corrupts it), so we hold a lock file with
 * our pid. A lock left by a process that no longer exists (kill -9) is taken over.
 */
async function lockDataFolder(lockPath: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new Error(
          `The data folder ${path.dirname(lockPath)} is in use by process ${owner}. Stop it first, or set DATA_DIR to another folder.`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs a raw query and returns its rows, whichever driver is underneath (postgres.js gives an array, PGlite `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
