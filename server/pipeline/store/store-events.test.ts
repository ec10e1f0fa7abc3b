import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { type Database, openDatabase, queryRows } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { countEvents, createTestProject, sumRollupCounts } from "../../test-support/ingest-fixtures.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { type EventRow, storeEvents } from "./store-events.ts";

let fixture: TestServices;

beforeAll(async () => {
  fixture = await createTestServices({}, { redis: false });
}, 30_000);

afterAll(async () => {
  await fixture.cleanup();
}, 30_000);

function rows(projectId: string, count: number, prefix: string): EventRow[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    projectId,
    insertId: `${prefix}-${String(i).padStart(4, "0")}`,
    eventName: "page_view",
    distinctId: `u${i % 9}`,
    sessionId: `s${i % 17}`,
    properties: { i },
    pageUrl: "https://example.com/",
    path: "/",
    host: "example.com",
    referrer: null,
    referrerHost: null,
    utmSource: null,
    utmMedium: null,
    utmCampaign: null,
    userAgent: null,
    browser: null,
    os: null,
    device: null,
    ipHash: null,
    country: null,
    timestamp: new Date(now - i * 60_000),
    receivedAt: new Date(now),
  }));
}

describe("storeEvents", () => {
  it("stores each event once when the same events race in opposite orders, without deadlocking", async () => {
    const { projectId } = await createTestProject(fixture.services.db);
    for (let round = 0; round < 5; round++) {
      const batch = rows(projectId, 300, `race-${round}`);
      const results = await Promise.all([
        storeEvents(fixture.services.db, batch),
        storeEvents(fixture.services.db, batch.toReversed()),
        storeEvents(
          fixture.services.db,
          batch.filter((_, i) => i % 2 === 0),
        ),
      ]);
      expect(results.reduce((sum, added) => sum + added.length, 0)).toBe(300);
    }
    expect(await countEvents(fixture.services.db, projectId)).toBe(1500);
    expect(await sumRollupCounts(fixture.services.db, projectId)).toBe(1500);
  }, 60_000);

  it("stores only the new events of a batch that repeats some already stored, and counts them once", async () => {
    const { projectId } = await createTestProject(fixture.services.db);
    const batch = rows(projectId, 20, "partial");
    expect((await storeEvents(fixture.services.db, batch.slice(5, 15))).length).toBe(10);
    const added = await storeEvents(fixture.services.db, batch);
    expect(added.map((row) => row.insertId).sort()).toEqual(
      [...batch.slice(0, 5), ...batch.slice(15)].map((row) => row.insertId).sort(),
    );
    expect(await countEvents(fixture.services.db, projectId)).toBe(20);
    expect(await sumRollupCounts(fixture.services.db, projectId)).toBe(20);
  }, 30_000);

  it("keeps the first copy when one batch holds the same key twice", async () => {
    const { projectId } = await createTestProject(fixture.services.db);
    const [first, second] = rows(projectId, 2, "dup");
    const duplicate = { ...second!, insertId: first!.insertId, eventName: "second_copy" };
    const added = await storeEvents(fixture.services.db, [first!, duplicate]);
    expect(added.map((row) => row.eventName)).toEqual(["page_view"]);
  }, 30_000);

  // PostgreSQL takes the rows by COPY (text format, with its own escaping) and PGlite as JSON: both must store
  // every character exactly as sent.
  const awkward: Partial<EventRow> = {
    eventName: "tab\there, newline\nthere, return\r, backslash \\ and \\N and \\.",
    distinctId: "\\N",
    sessionId: "\\.",
    properties: {
      quote: 'say "hi"',
      backslash: "a\\b",
      newline: "x\ny",
      tab: "\t",
      emoji: "📈",
      nested: { deep: [1, "\\t"] },
    },
    pageUrl: "https://example.com/a b?q=1\tx",
    path: "/über/naïve",
    referrer: "",
    userAgent: "Mozilla/5.0 (X11; Linux x86_64)\r\n",
  };

  async function expectStoredExactly(db: Database) {
    const { projectId } = await createTestProject(db);
    const [base] = rows(projectId, 1, "awkward");
    const row = { ...base!, ...awkward } as EventRow;
    expect((await storeEvents(db, [row])).length).toBe(1);
    const [stored] = await queryRows<Record<string, unknown>>(
      db,
      sql`select event_name, distinct_id, session_id, properties, page_url, path, referrer, user_agent,
                 extract(epoch from "timestamp") * 1000 as ts
            from events where project_id = ${projectId}::uuid`,
    );
    expect(stored).toEqual({
      event_name: row.eventName,
      distinct_id: row.distinctId,
      session_id: row.sessionId,
      properties: row.properties,
      page_url: row.pageUrl,
      path: row.path,
      referrer: "",
      user_agent: row.userAgent,
      ts: expect.anything(),
    });
    expect(Number(stored!.ts)).toBe(row.timestamp.getTime());
  }

  it("stores awkward characters exactly on PostgreSQL (COPY)", async () => {
    await expectStoredExactly(fixture.services.db);
  }, 30_000);

  it("reports a row PostgreSQL refuses with PostgreSQL's reason, and stores the next batch normally", async () => {
    const { projectId } = await createTestProject(fixture.services.db);
    const [good] = rows(projectId, 1, "refused");
    const refused = { ...good!, insertId: "nul", eventName: "has a \u0000 in it" };
    // Six times: a refused COPY that left its connection stuck in a transaction would exhaust the pool of 5.
    for (let i = 0; i < 6; i++) {
      await expect(storeEvents(fixture.services.db, [good!, refused])).rejects.toThrow(/0x00/);
    }
    expect((await storeEvents(fixture.services.db, [good!])).length).toBe(1);
  }, 30_000);

  it("refuses events of a project that does not exist (any more), like a foreign key would", async () => {
    const { projectId } = await createTestProject(fixture.services.db);
    const gone = Bun.randomUUIDv7();
    const batch = [...rows(projectId, 2, "kept"), ...rows(gone, 1, "gone")];
    await expect(storeEvents(fixture.services.db, batch)).rejects.toThrow(`project ${gone} does not exist`);
    expect(await countEvents(fixture.services.db, projectId)).toBe(0);
    expect((await storeEvents(fixture.services.db, batch.slice(0, 2))).length).toBe(2);
  }, 30_000);

  it("stores awkward characters exactly on PGlite (JSON), and dedupes there too", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "ad-store-pglite-"));
    const handle = await openDatabase({ dataDir, poolSize: 1 });
    try {
      await migrateDatabase(handle);
      await expectStoredExactly(handle.db);
      const { projectId } = await createTestProject(handle.db);
      const batch = rows(projectId, 50, "pglite");
      expect((await storeEvents(handle.db, batch)).length).toBe(50);
      expect((await storeEvents(handle.db, batch)).length).toBe(0);
      expect(await countEvents(handle.db, projectId)).toBe(50);
      expect(await sumRollupCounts(handle.db, projectId)).toBe(50);
    } finally {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
