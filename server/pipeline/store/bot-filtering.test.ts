/**
 * Bot filtering where the worker and the direct write store events (storeEvents), on PostgreSQL and PGlite: bot
 * events are not stored and are counted once each in bot_filtered_events (a redelivery or resend adds nothing), every
 * figure counts only the kept events, backends' library user agents are kept, and the project setting applies from
 * the next batch on.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { getOverview } from "../../analytics/get-overview.ts";
import { queryRows } from "../../db/client.ts";
import { updateProject } from "../../queries/projects/update-project.ts";
import { DATABASE_KINDS, type EitherDatabase, openEitherDatabase } from "../../test-support/either-database.ts";
import { type EventRow, storeEventsCounted } from "./store-events.ts";

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const GOOGLEBOT =
  "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const HEADLESS =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";
const AGENTS = [CHROME, GOOGLEBOT, HEADLESS, "curl/8.5.0", "python-requests/2.32.3", null];
const BOT_AGENTS = new Set([GOOGLEBOT, HEADLESS]);

const HOUR = 3_600_000;
const START = Date.parse("2026-11-02T00:00:00Z");

function rows(projectId: string, count: number, prefix: string): EventRow[] {
  return Array.from({ length: count }, (_, i) => ({
    projectId,
    insertId: `${prefix}-${String(i).padStart(4, "0")}`,
    eventName: i % 3 === 0 ? "signup" : "page_view",
    distinctId: `u${i % 7}`,
    sessionId: `s${i % 11}`,
    properties: {},
    pageUrl: "https://example.com/",
    path: "/",
    host: "example.com",
    referrer: null,
    referrerHost: null,
    utmSource: null,
    utmMedium: null,
    utmCampaign: null,
    userAgent: AGENTS[i % AGENTS.length]!,
    browser: null,
    os: null,
    device: null,
    ipHash: null,
    country: null,
    timestamp: new Date(START + i * 7 * 60_000),
    receivedAt: new Date(START + i * 7 * 60_000),
  }));
}

for (const kind of DATABASE_KINDS) {
  describe(`bot filtering (${kind})`, () => {
    let either: EitherDatabase;

    beforeAll(async () => {
      either = await openEitherDatabase(kind);
    }, 60_000);

    afterAll(async () => {
      await either?.close();
    }, 30_000);

    async function stored(projectId: string): Promise<Array<{ insert_id: string; user_agent: string | null }>> {
      return queryRows(
        either.db,
        sql`select insert_id, user_agent from events where project_id = ${projectId}::uuid order by insert_id`,
      );
    }

    async function filteredKeys(projectId: string): Promise<string[]> {
      const list = await queryRows<{ insert_id: string }>(
        either.db,
        sql`select insert_id from bot_filtered_events where project_id = ${projectId}::uuid order by insert_id`,
      );
      return list.map((row) => row.insert_id);
    }

    it("stores no bot event, counts each once however often it comes back, and keeps backends' events", async () => {
      const projectId = await either.createProject("bots");
      const batch = rows(projectId, 120, "a");
      const bots = batch.filter((row) => BOT_AGENTS.has(row.userAgent!));
      const kept = batch.filter((row) => !BOT_AGENTS.has(row.userAgent!));

      const first = await storeEventsCounted(either.db, batch);
      expect(first.botsFiltered).toBe(bots.length);
      expect(first.inserted.map((row) => row.insertId).sort()).toEqual(kept.map((row) => row.insertId).sort());
      // A redelivered batch, a resend of some and a batch holding a bot event twice add nothing.
      expect(await storeEventsCounted(either.db, batch)).toEqual({ inserted: [], botsFiltered: 0, suppressed: 0 });
      expect((await storeEventsCounted(either.db, [bots[0]!, bots[0]!, bots[1]!])).botsFiltered).toBe(0);

      const storedRows = await stored(projectId);
      expect(storedRows.map((row) => row.insert_id)).toEqual(kept.map((row) => row.insertId).sort());
      expect(new Set(storedRows.map((row) => row.user_agent))).toEqual(
        new Set([CHROME, "curl/8.5.0", "python-requests/2.32.3", null]),
      );
      expect(await filteredKeys(projectId)).toEqual(bots.map((row) => row.insertId).sort());
    }, 30_000);

    it("answers botEventsFiltered for the range and counts only kept events in every other figure", async () => {
      const projectId = await either.createProject("bots-overview");
      const batch = rows(projectId, 150, "o");
      await storeEventsCounted(either.db, batch);
      // A range cut mid-hour: the count follows the events' own timestamps, with the same [from, to) edges.
      const from = START + 2 * HOUR + 13 * 60_000;
      const to = START + 9 * HOUR + 41 * 60_000;
      const inRange = batch.filter((row) => row.timestamp.getTime() >= from && row.timestamp.getTime() < to);
      const overview = await getOverview(either.db, {
        projectId,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      });
      const keptInRange = inRange.filter((row) => !BOT_AGENTS.has(row.userAgent!));
      expect(overview.botEventsFiltered).toBe(inRange.length - keptInRange.length);
      expect(overview.totalEvents).toBe(keptInRange.length);
      expect(overview.uniqueSessions).toBe(new Set(keptInRange.map((row) => row.sessionId)).size);
      expect(overview.uniqueUsers).toBe(new Set(keptInRange.map((row) => row.distinctId)).size);
      const filtered = await getOverview(either.db, {
        projectId,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        filters: [{ dimension: "event_name", op: "eq", value: "signup" }],
      });
      expect(filtered.botEventsFiltered).toBe(overview.botEventsFiltered);
      expect(filtered.totalEvents).toBe(keptInRange.filter((row) => row.eventName === "signup").length);
    }, 30_000);

    it("stores bot events from the next batch on once the project turns filtering off, and drops them again after", async () => {
      const projectId = await either.createProject("bots-setting");
      const before = rows(projectId, 12, "before");
      expect((await storeEventsCounted(either.db, before)).botsFiltered).toBe(4);

      expect((await updateProject(either.db, { projectId, botFiltering: false }))?.botFiltering).toBe(false);
      const during = rows(projectId, 12, "during");
      const off = await storeEventsCounted(either.db, during);
      expect(off).toMatchObject({ botsFiltered: 0 });
      expect(off.inserted).toHaveLength(12);

      await updateProject(either.db, { projectId, botFiltering: true });
      // A resend of a bot event stored while filtering was off is a duplicate, not counted as filtered.
      const after = [...rows(projectId, 12, "after"), ...during];
      const on = await storeEventsCounted(either.db, after);
      expect(on.botsFiltered).toBe(4);
      expect(on.inserted).toHaveLength(8);
      expect((await filteredKeys(projectId)).filter((key) => key.startsWith("during"))).toEqual([]);
      expect((await stored(projectId)).length).toBe(8 + 12 + 8);
    }, 30_000);
  });
}
