/**
 * The upgrade to teams on a database the previous release left (migrations up to, not including,
 * *_teams_roles_audit), with accounts and projects: every account gets a personal team it owns, every project moves
 * to its owner's personal team, and owner_id is gone. On PostgreSQL and PGlite.
 */
import { describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { DATABASE_KINDS, type DatabaseKind } from "../test-support/either-database.ts";
import { createTestDatabase } from "../test-support/services.ts";
import { type DatabaseHandle, openDatabase, queryRows } from "./client.ts";
import { migrateDatabase } from "./migrate.ts";

const MIGRATIONS = path.resolve(import.meta.dirname, "../../drizzle");

/** A migrations folder holding the ones before the teams migration only. */
async function previousReleaseMigrations(): Promise<string> {
  const journal = (await Bun.file(path.join(MIGRATIONS, "meta/_journal.json")).json()) as {
    entries: Array<{ tag: string }>;
  };
  const at = journal.entries.findIndex((entry) => entry.tag.endsWith("_teams_roles_audit"));
  expect(at).toBeGreaterThan(0);
  const previous = journal.entries.slice(0, at);
  const folder = await mkdtemp(path.join(tmpdir(), "ad-migrations-before-teams-"));
  await Bun.write(
    path.join(folder, "meta/_journal.json"),
    JSON.stringify({ version: "7", dialect: "postgresql", entries: previous }),
  );
  for (const entry of previous)
    await Bun.write(path.join(folder, `${entry.tag}.sql`), Bun.file(path.join(MIGRATIONS, `${entry.tag}.sql`)));
  return folder;
}

async function openFresh(kind: DatabaseKind): Promise<{ handle: DatabaseHandle; close: () => Promise<void> }> {
  if (kind === "postgres") {
    const database = await createTestDatabase();
    const handle = await openDatabase({ databaseUrl: database.url, dataDir: "/tmp", poolSize: 2 });
    const close = async () => {
      await handle.close();
      await database.drop();
    };
    return { handle, close };
  }
  const dir = await mkdtemp(path.join(tmpdir(), "ad-teams-migration-"));
  const handle = await openDatabase({ dataDir: dir, poolSize: 1 });
  const close = async () => {
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { handle, close };
}

async function migrateTo(handle: DatabaseHandle, folder: string): Promise<void> {
  if (handle.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(handle.db as never, { migrationsFolder: folder });
  } else {
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    await migrate(handle.db as never, { migrationsFolder: folder });
  }
}

for (const kind of DATABASE_KINDS) {
  describe(`the teams migration on ${kind}`, () => {
    it("gives each account a personal team it owns and moves each project to its owner's", async () => {
      const folder = await previousReleaseMigrations();
      const { handle, close } = await openFresh(kind);
      try {
        await migrateTo(handle, folder);
        const { db } = handle;
        await db.execute(sql`insert into users (id, email, password_hash) values
          ('00000000-0000-4000-8000-000000000001', 'ann@example.test', 'x'),
          ('00000000-0000-4000-8000-000000000002', 'bob@example.test', 'x'),
          ('00000000-0000-4000-8000-000000000003', 'cy@example.test', 'x')`);
        await db.execute(sql`insert into projects (id, owner_id, name, api_key_hash, api_key_prefix) values
          ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'a1', 'h1', 'proj_1'),
          ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'a2', 'h2', 'proj_2'),
          ('10000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', 'b1', 'h3', 'proj_3')`);

        await migrateDatabase(handle);

        const teams = await queryRows<{ email: string; name: string; members: string }>(
          db,
          sql`select u.email, t.name, string_agg(m.role || ':' || mu.email, ',') as members
                from teams t join users u on u.id = t.personal_user_id
                join team_members m on m.team_id = t.id join users mu on mu.id = m.user_id
               group by u.email, t.name order by u.email`,
        );
        expect(teams).toEqual([
          { email: "ann@example.test", name: "Personal", members: "owner:ann@example.test" },
          { email: "bob@example.test", name: "Personal", members: "owner:bob@example.test" },
          { email: "cy@example.test", name: "Personal", members: "owner:cy@example.test" },
        ]);
        const projects = await queryRows<{ name: string; email: string }>(
          db,
          sql`select p.name, u.email from projects p join teams t on t.id = p.team_id
                join users u on u.id = t.personal_user_id order by p.name`,
        );
        expect(projects).toEqual([
          { name: "a1", email: "ann@example.test" },
          { name: "a2", email: "ann@example.test" },
          { name: "b1", email: "bob@example.test" },
        ]);
        const ownerColumn = await queryRows<{ n: number }>(
          db,
          sql`select count(*)::int as n from information_schema.columns
               where table_name = 'projects' and column_name = 'owner_id'`,
        );
        expect(ownerColumn[0]!.n).toBe(0);
      } finally {
        await close();
        await rm(folder, { recursive: true, force: true });
      }
    }, 120_000);
  });
}
