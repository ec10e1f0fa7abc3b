/**
 * The same test on both databases the product runs on: a fresh database on the shared PostgreSQL (createTestServices,
 * without Redis) or a fresh embedded PGlite folder, migrated, with a bare owner and project inserted directly.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, type DatabaseHandle, openDatabase } from "../db/client.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { projects, users } from "../db/schema/index.ts";
import { parseConfig } from "../env.ts";
import { createLogger } from "../logger.ts";
import { ensurePersonalTeam } from "../queries/teams/ensure-personal-team.ts";
import { createServices, type Services } from "../services.ts";
import { createTestServices } from "./services.ts";

export type DatabaseKind = "postgres" | "pglite";
export const DATABASE_KINDS = ["postgres", "pglite"] as const;

export interface EitherDatabase {
  handle: DatabaseHandle;
  db: Database;
  /** A new project (with its own owner), its id. */
  createProject(label?: string): Promise<string>;
  close(): Promise<void>;
}

export async function openEitherDatabase(kind: DatabaseKind): Promise<EitherDatabase> {
  let handle: DatabaseHandle;
  let close: () => Promise<void>;
  if (kind === "postgres") {
    const services = await createTestServices({}, { redis: false });
    handle = services.services.database;
    close = services.cleanup;
  } else {
    const dataDir = await mkdtemp(path.join(tmpdir(), "ad-either-"));
    handle = await openDatabase({ dataDir, poolSize: 1 });
    await migrateDatabase(handle);
    close = async () => {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const db = handle.db;
  return {
    handle,
    db,
    close,
    createProject: async (label = "test") => {
      const unique = Bun.randomUUIDv7();
      const [user] = await db
        .insert(users)
        .values({ email: `${label}-${unique}@example.test`, passwordHash: "x" })
        .returning();
      const [project] = await db
        .insert(projects)
        .values({
          teamId: await ensurePersonalTeam(db, user!.id),
          name: label,
          apiKeyHash: `h-${unique}`,
          apiKeyPrefix: "proj_h",
        })
        .returning();
      return project!.id;
    },
  };
}

/**
 * The whole product's services (tRPC callers, engine) on either database: the shared PostgreSQL without Redis, or a
 * fresh embedded PGlite folder as `bun start` opens it. Rate limits are lifted: these tests call many procedures.
 */
export async function openEitherServices(kind: DatabaseKind): Promise<{ services: Services; close(): Promise<void> }> {
  if (kind === "postgres") {
    const t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" }, { redis: false });
    return { services: t.services, close: t.cleanup };
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), "ad-either-services-"));
  const config = parseConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    COOKIE_SECURE: "false",
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: "1000000",
  });
  const services = await createServices(config, { logger: createLogger("silent") });
  return {
    services,
    close: async () => {
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
