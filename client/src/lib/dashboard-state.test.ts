import { describe, expect, it } from "bun:test";
import { MAX_FILTERS } from "../../../shared/analytics-constants.ts";
import {
  addFilterPatch,
  customRangePatch,
  describePeriod,
  parseFilter,
  presetPatch,
  readDashboardState,
  removeFilterPatch,
  serializeFilter,
  timezonePatch,
  toAnalyticsRange,
  todayIn,
  zonedMidnight,
} from "./dashboard-state.ts";

const VIEWER = "Europe/Paris";

describe("readDashboardState", () => {
  it("defaults to the last 7 days in the viewer's timezone without filters", () => {
    expect(readDashboardState({}, VIEWER)).toEqual({
      period: "7d",
      from: null,
      to: null,
      timezone: VIEWER,
      filters: [],
    });
  });

  it("reads a preset, a timezone and filters from the URL", () => {
    const state = readDashboardState(
      { period: "30d", tz: "Asia/Kolkata", f: ["eq:path:/pricing", "eq:browser:Chrome"] },
      VIEWER,
    );
    expect(state.period).toBe("30d");
    expect(state.timezone).toBe("Asia/Kolkata");
    expect(state.filters).toEqual([
      { op: "eq", dimension: "path", value: "/pricing" },
      { op: "eq", dimension: "browser", value: "Chrome" },
    ]);
  });

  it("falls back to defaults for an unknown period or timezone", () => {
    const state = readDashboardState({ period: "5y", tz: "Mars/Olympus" }, VIEWER);
    expect(state.period).toBe("7d");
    expect(state.timezone).toBe(VIEWER);
  });

  it("reads a custom range and puts reversed dates in order", () => {
    const state = readDashboardState({ period: "custom", from: "2026-11-10", to: "2026-11-01" }, VIEWER);
    expect(state).toMatchObject({ period: "custom", from: "2026-11-01", to: "2026-11-10" });
  });

  it("ignores a custom range with impossible dates", () => {
    expect(readDashboardState({ period: "custom", from: "2026-02-30", to: "2026-03-01" }, VIEWER).period).toBe("7d");
  });

  it("drops malformed and duplicate filters", () => {
    const state = readDashboardState({ f: ["nonsense", "like:path:/a", "eq:path:/a", "eq:path:/a"] }, VIEWER);
    expect(state.filters).toEqual([{ op: "eq", dimension: "path", value: "/a" }]);
  });

  it("keeps as many filters as the server takes, and no more", () => {
    const f = Array.from({ length: MAX_FILTERS + 5 }, (_, i) => `neq:path:/page-${i}`);
    const state = readDashboardState({ f }, VIEWER);
    expect(state.filters).toHaveLength(20);
    expect(state.filters.at(-1)).toEqual({ op: "neq", dimension: "path", value: "/page-19" });
  });

  it("drops filters the server would refuse: an unknown dimension, an overlong property key or value", () => {
    const state = readDashboardState(
      {
        f: [
          "eq:country:FR",
          `eq:property.${"k".repeat(201)}:x`,
          `eq:path:/${"a".repeat(1000)}`,
          "eq:utm_campaign:spring",
          `eq:property.${"k".repeat(200)}:x`,
        ],
      },
      VIEWER,
    );
    expect(state.filters).toEqual([
      { op: "eq", dimension: "utm_campaign", value: "spring" },
      { op: "eq", dimension: `property:${"k".repeat(200)}`, value: "x" },
    ]);
  });
});

describe("filters in the URL", () => {
  it("round-trips values that contain colons", () => {
    const filter = { op: "eq" as const, dimension: "referrer", value: "https://example.com:8443/x" };
    expect(parseFilter(serializeFilter(filter))).toEqual(filter);
  });

  it("round-trips property dimensions whose keys contain colons", () => {
    const filter = { op: "contains" as const, dimension: "property:plan:tier", value: "pro:annual" };
    expect(parseFilter(serializeFilter(filter))).toEqual(filter);
  });

  it("adds a filter, replacing an earlier equality filter on the same dimension", () => {
    const state = readDashboardState({ f: ["eq:path:/a", "eq:browser:Firefox"] }, VIEWER);
    expect(addFilterPatch(state, { op: "eq", dimension: "path", value: "/b" })).toEqual({
      f: ["eq:browser:Firefox", "eq:path:/b"],
    });
  });

  it("removes a filter and clears the parameter with the last one", () => {
    const state = readDashboardState({ f: "eq:path:/a" }, VIEWER);
    expect(removeFilterPatch(state, { op: "eq", dimension: "path", value: "/a" })).toEqual({ f: null });
  });
});

describe("period patches", () => {
  it("drops custom dates when a preset is chosen", () => {
    expect(presetPatch("24h")).toEqual({ period: "24h", from: null, to: null });
  });

  it("orders custom dates and refuses invalid ones", () => {
    expect(customRangePatch("2026-11-09", "2026-11-02")).toEqual({
      period: "custom",
      from: "2026-11-02",
      to: "2026-11-09",
    });
    expect(customRangePatch("2026-11-09", "")).toBeNull();
  });

  it("keeps the viewer's own timezone out of the URL", () => {
    expect(timezonePatch(VIEWER, VIEWER)).toEqual({ tz: null });
    expect(timezonePatch("UTC", VIEWER)).toEqual({ tz: "UTC" });
  });
});

describe("toAnalyticsRange", () => {
  it("passes presets to the server with the timezone", () => {
    expect(toAnalyticsRange(readDashboardState({ period: "90d" }, "UTC"))).toEqual({
      period: "90d",
      timezone: "UTC",
      filters: undefined,
    });
  });

  it("turns a custom range into [local midnight of the first day, local midnight after the last day)", () => {
    const range = toAnalyticsRange(
      readDashboardState({ period: "custom", from: "2026-11-01", to: "2026-11-07", tz: "Asia/Kolkata" }, VIEWER),
    );
    expect(range.from).toBe("2026-10-31T18:30:00.000Z");
    expect(range.to).toBe("2026-11-07T18:30:00.000Z");
    expect(range.period).toBeUndefined();
  });

  it("uses the offset of each end across a daylight-saving change", () => {
    const range = toAnalyticsRange(
      readDashboardState({ period: "custom", from: "2026-10-24", to: "2026-10-25", tz: "Europe/Paris" }, VIEWER),
    );
    expect(range.from).toBe("2026-10-23T22:00:00.000Z");
    expect(range.to).toBe("2026-10-25T23:00:00.000Z");
  });

  it("sends the filters with every call", () => {
    const range = toAnalyticsRange(readDashboardState({ f: "eq:device:mobile" }, "UTC"));
    expect(range.filters).toEqual([{ op: "eq", dimension: "device", value: "mobile" }]);
  });
});

describe("dates in a timezone", () => {
  it("finds local midnight in a +05:45 zone", () => {
    expect(zonedMidnight("2026-01-15", "Asia/Kathmandu").toISOString()).toBe("2026-01-14T18:15:00.000Z");
  });

  it("knows today's date on the other side of the date line", () => {
    const instant = Date.parse("2026-11-26T20:00:00Z");
    expect(todayIn("Pacific/Auckland", instant)).toBe("2026-11-27");
    expect(todayIn("America/Los_Angeles", instant)).toBe("2026-11-26");
  });

  it("describes a custom range in words", () => {
    expect(describePeriod(readDashboardState({ period: "custom", from: "2026-11-01", to: "2026-11-07" }, "UTC"))).toBe(
      "Nov 1 – Nov 7, 2026",
    );
    expect(describePeriod(readDashboardState({}, "UTC"))).toBe("Last 7 days");
  });
});
