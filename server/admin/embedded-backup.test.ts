/**
 * `bun run admin -- backup|restore <file>` on an embedded install (the commands run as real subprocesses): a backup
 * taken while the install runs (the owning process writes it on request) and one taken while it is stopped, the data
 * folder wiped, the backup restored, and every figure the dashboard shows equal to what it was when the backup was
 * taken: overview (and bots filtered), timeseries, breakdowns, users and people, filtered figures from the query
 * engine's segments; events stored after the backup are not in it.
 */
import { afterEach, describe, expect, it } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { QueryEngine } from "../analytics/engine/query-engine.ts";
import { getBreakdown } from "../analytics/get-breakdown.ts";
import { getOverview } from "../analytics/get-overview.ts";
import { getTimeseries } from "../analytics/get-timeseries.ts";
import { getUsers } from "../analytics/get-users.ts";
import { listPeople } from "../analytics/people/list-people.ts";
import { type DatabaseHandle, openDatabase } from "../db/client.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { projects, users } from "../db/schema/index.ts";
import { createLogger } from "../logger.ts";
import { ensurePersonalTeam } from "../queries/teams/ensure-personal-team.ts";
import { generateTestEvents, storeTestEvents, testEvent } from "../test-support/analytics-test-data.ts";
import { serveBackupRequests } from "./backup-requests.ts";

const DAY = 86_400_000;
const BASE = Date.parse("2026-11-01T00:00:00Z");
const RANGE = { from: new Date(BASE).toISOString(), to: new Date(BASE + 8 * DAY).toISOString() };
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const ROOT = path.resolve(import.meta.dir, "../..");

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempFolder(label: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), `wtbots-backup-${label}-`));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

async function open(dataDir: string): Promise<DatabaseHandle> {
  const handle = await openDatabase({ dataDir, poolSize: 1 });
  let closed = false;
  const close = handle.close;
  handle.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanups.push(() => handle.close());
  return handle;
}

/** The admin command as an operator runs it, on DATA_DIR with no PostgreSQL or Redis (embedded mode). */
async function admin(dataDir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = Bun.spawn(["bun", "server/admin.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", REDIS_URL: "", SECRET_KEY: "", LOG_LEVEL: "silent" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, out, err };
}

/** An install with a project, a week of events (people identified mid-session included) and bot events dropped. */
async function install(dataDir: string): Promise<{ handle: DatabaseHandle; projectId: string }> {
  const handle = await open(dataDir);
  await migrateDatabase(handle);
  const [user] = await handle.db.insert(users).values({ email: "backup@example.test", passwordHash: "x" }).returning();
  const [project] = await handle.db
    .insert(projects)
    .values({
      teamId: await ensurePersonalTeam(handle.db, user!.id),
      name: "backup",
      apiKeyHash: "h-backup",
      apiKeyPrefix: "proj_h",
    })
    .returning();
  const projectId = project!.id;
  await storeTestEvents(handle.db, generateTestEvents(projectId, BASE, 7));
  const bots = Array.from({ length: 9 }, (_, i) =>
    testEvent(projectId, { at: BASE + i * 3_600_000, userAgent: GOOGLEBOT, sessionId: `bot-${i}` }),
  );
  await storeTestEvents(handle.db, bots);
  await writeFile(path.join(dataDir, "secret_key"), "a-secret-key-of-this-install-0123456789abcdef", { mode: 0o600 });
  return { handle, projectId };
}

/** Every figure the dashboard shows for the project, read with a fresh query engine (nothing cached carries over). */
async function figures(handle: DatabaseHandle, projectId: string) {
  const engine = new QueryEngine({ cacheBytes: 64 * 1024 * 1024 });
  const now = BASE + 9 * DAY;
  const input = { projectId, ...RANGE, timezone: "Europe/Berlin" };
  const filtered = { ...input, filters: [{ dimension: "browser" as const, op: "eq" as const, value: "Firefox" }] };
  return {
    overview: await getOverview(handle.db, input, now, engine),
    filteredOverview: await getOverview(handle.db, filtered, now, engine),
    days: await getTimeseries(handle.db, { ...input, granularity: "day" }, now, engine),
    hours: await getTimeseries(handle.db, { ...input, granularity: "hour" }, now, engine),
    byPath: await getBreakdown(handle.db, { ...input, dimension: "path" }, now, engine),
    byCountry: await getBreakdown(handle.db, { ...input, dimension: "country" }, now, engine),
    filteredByPath: await getBreakdown(handle.db, { ...filtered, dimension: "path" }, now, engine),
    users: await getUsers(handle.db, { ...input, limit: 100 }, now, engine),
    people: await listPeople(handle.db, { projectId, limit: 100 }, now, engine),
  };
}

describe("embedded backup and restore", () => {
  it("backs up a running install, and a wiped folder restored from it answers every figure as at the backup", async () => {
    const dataDir = await tempFolder("running");
    const backups = await tempFolder("files");
    const file = path.join(backups, "analytics.backup");
    const { handle, projectId } = await install(dataDir);
    // This test process owns the data folder, as `bun start` would, and serves backup requests as it does.
    const stopServing = serveBackupRequests(
      handle.kind === "pglite" ? handle.pglite : (null as never),
      dataDir,
      createLogger("silent"),
    );
    cleanups.push(async () => stopServing());
    const before = await figures(handle, projectId);
    expect(before.overview.totalEvents).toBeGreaterThan(2_000);
    expect(before.overview.botEventsFiltered).toBe(9);
    expect(before.people.items.length).toBeGreaterThan(10);

    const backup = await admin(dataDir, "backup", file);
    expect(backup).toMatchObject({ code: 0, err: "" });
    expect(backup.out).toContain(`by the running process ${process.pid}`);
    // A restore is refused while the install runs.
    expect((await admin(dataDir, "restore", file)).code).toBe(1);

    // Stored after the backup: not in it.
    await storeTestEvents(handle.db, [testEvent(projectId, { at: BASE + DAY, eventName: "after_backup" })]);
    expect((await figures(handle, projectId)).overview.totalEvents).toBe(before.overview.totalEvents + 1);
    await handle.close();
    await rm(dataDir, { recursive: true, force: true });

    const restore = await admin(dataDir, "restore", file);
    expect(restore).toMatchObject({ code: 0, err: "" });
    expect(await readFile(path.join(dataDir, "secret_key"), "utf8")).toBe(
      "a-secret-key-of-this-install-0123456789abcdef",
    );
    const restored = await open(dataDir);
    expect(await figures(restored, projectId)).toEqual(before);
  }, 120_000);

  it("backs up a stopped install, and restores it over another install, keeping that one's database aside", async () => {
    const dataDir = await tempFolder("stopped");
    const backups = await tempFolder("files");
    const file = path.join(backups, "analytics.backup");
    const { handle, projectId } = await install(dataDir);
    const before = await figures(handle, projectId);
    await handle.close();

    const backup = await admin(dataDir, "backup", file);
    expect(backup).toMatchObject({ code: 0, err: "" });
    expect(backup.out).not.toContain("running process");

    const other = await tempFolder("other");
    const otherInstall = await install(other);
    await otherInstall.handle.close();
    const restore = await admin(other, "restore", file);
    expect(restore).toMatchObject({ code: 0, err: "" });
    expect(restore.out).toMatch(/previous database is kept in .*pg\.replaced-/);
    const restored = await open(other);
    expect(await figures(restored, projectId)).toEqual(before);
  }, 120_000);

  it("refuses a file that is not a backup and leaves the install as it was", async () => {
    const dataDir = await tempFolder("refuse");
    const { handle, projectId } = await install(dataDir);
    const before = await figures(handle, projectId);
    await handle.close();
    const bogus = path.join(dataDir, "..", `${path.basename(dataDir)}.not-a-backup`);
    await writeFile(bogus, "not a backup");
    cleanups.push(() => rm(bogus, { force: true }));
    const restore = await admin(dataDir, "restore", bogus);
    expect(restore.code).toBe(1);
    expect(await figures(await open(dataDir), projectId)).toEqual(before);
  }, 120_000);

  it("points to pg_dump when the database is PostgreSQL", async () => {
    const child = Bun.spawn(["bun", "server/admin.ts", "backup", "/tmp/wtbots-never-written"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", SECRET_KEY: "x".repeat(40) },
      stderr: "pipe",
    });
    expect(await child.exited).toBe(2);
    expect(await new Response(child.stderr).text()).toContain("pg_dump");
  }, 30_000);
});
