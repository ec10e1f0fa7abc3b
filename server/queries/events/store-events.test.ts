import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { countEvents, createTestProject, sumRollupCounts } from "../../ingest/test-fixtures.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";
import { storeEvents, type EventRow } from "./store-events.ts";

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
        storeEvents(fixture.services.db, batch.filter((_, i) => i % 2 === 0)),
      ]);
      expect(results.reduce((sum, added) => sum + added.length, 0)).toBe(300);
    }
    expect(await countEvents(fixture.services.db, projectId)).toBe(1500);
    expect(await sumRollupCounts(fixture.services.db, projectId)).toBe(1500);
  }, 60_000);

  it("keeps the first copy when one batch holds the same key twice", async () => {
    const { projectId } = await createTestProject(fixture.services.db);
    const [first, second] = rows(projectId, 2, "dup");
    const duplicate = { ...second!, insertId: first!.insertId, eventName: "second_copy" };
    const added = await storeEvents(fixture.services.db, [first!, duplicate]);
    expect(added.map((row) => row.eventName)).toEqual(["page_view"]);
  }, 30_000);
});
