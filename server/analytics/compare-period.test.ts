/**
 * "Compare to" (compareFrom/compareTo): the overview's `previous` covers the chosen period instead of the one just
 * before, on the rollups (no filters) and the engine (filters), on PostgreSQL and PGlite. The chosen period's
 * figures must be the overview of that period itself, which the oracle tests already hold to plain SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type AnalyticsFilter, type AnalyticsInput, analyticsInputSchema } from "../../shared/analytics.ts";
import { generateTestEvents, storeTestEvents } from "../test-support/analytics-test-data.ts";
import { DATABASE_KINDS, type EitherDatabase, openEitherDatabase } from "../test-support/either-database.ts";
import { QueryEngine } from "./engine/query-engine.ts";
import { getOverview } from "./get-overview.ts";

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 2, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const NOW = BASE + 10 * DAY;

for (const kind of DATABASE_KINDS) {
  describe(`compare to a chosen period on ${kind}`, () => {
    let either: EitherDatabase;
    let projectId: string;
    const engine = new QueryEngine({ cacheBytes: 16 << 20 });
    beforeAll(async () => {
      either = await openEitherDatabase(kind);
      projectId = await either.createProject("compare");
      await storeTestEvents(either.db, generateTestEvents(projectId, BASE, 6, 5), 200);
    }, 120_000);
    afterAll(async () => {
      await either?.close();
    });

    const overview = (input: Omit<AnalyticsInput, "projectId">) =>
      getOverview(either.db, analyticsInputSchema.parse({ projectId, ...input }), NOW, engine);

    for (const filters of [[], [{ dimension: "browser", op: "eq", value: "Chrome" }]] as AnalyticsFilter[][]) {
      it(`gives the chosen period's figures as previous (${filters.length ? "filtered" : "unfiltered"})`, async () => {
        const range = { from: iso(BASE + 3 * DAY), to: iso(BASE + 5 * DAY), filters };
        const chosen = { from: iso(BASE), to: iso(BASE + 1.5 * DAY) };
        const compared = await overview({ ...range, compareFrom: chosen.from, compareTo: chosen.to });
        const ofChosen = await overview({ ...chosen, filters });
        // Every figure of previous, the visit metrics too, is the chosen period's.
        const {
          topEvent,
          periodStart,
          periodEnd,
          previous,
          previousStart,
          previousEnd,
          botEventsFiltered,
          ...chosenTotals
        } = ofChosen;
        expect(compared.previous).toEqual(chosenTotals);
        expect([compared.previousStart, compared.previousEnd]).toEqual([chosen.from, chosen.to]);
        expect(compared.totalEvents).toBe((await overview(range)).totalEvents);
        expect(ofChosen.totalEvents).toBeGreaterThan(0);
        // Without a choice, previous is the same-length period just before.
        const plain = await overview(range);
        const before = await overview({ from: iso(BASE + DAY), to: iso(BASE + 3 * DAY), filters });
        expect(plain.previous.totalEvents).toBe(before.totalEvents);
        expect([plain.previousStart, plain.previousEnd]).toEqual([iso(BASE + DAY), iso(BASE + 3 * DAY)]);
      });
    }
  });
}

describe("compareFrom / compareTo validation", () => {
  const projectId = "00000000-0000-4000-8000-000000000000";
  const fields = (input: Record<string, unknown>) => {
    const parsed = analyticsInputSchema.safeParse({
      projectId,
      from: iso(BASE + DAY),
      to: iso(BASE + 2 * DAY),
      ...input,
    });
    return parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join("."));
  };

  it("takes both or neither, in order, within the range limits", () => {
    expect(fields({})).toEqual([]);
    expect(fields({ compareFrom: iso(BASE), compareTo: iso(BASE + DAY) })).toEqual([]);
    expect(fields({ compareFrom: iso(BASE) })).toEqual(["compareTo"]);
    expect(fields({ compareTo: iso(BASE) })).toEqual(["compareFrom"]);
    expect(fields({ compareFrom: iso(BASE + DAY), compareTo: iso(BASE) })).toEqual(["compareFrom"]);
    expect(fields({ compareFrom: iso(BASE), compareTo: iso(BASE) })).toEqual(["compareFrom"]);
    expect(fields({ compareFrom: "1999-12-31T00:00:00Z", compareTo: iso(BASE) })).toEqual(["compareFrom"]);
    expect(fields({ compareFrom: iso(BASE), compareTo: "soon" })).toEqual(["compareTo"]);
    expect(fields({ compareFrom: iso(BASE - 401 * DAY), compareTo: iso(BASE) })).toEqual(["compareFrom"]);
  });
});
