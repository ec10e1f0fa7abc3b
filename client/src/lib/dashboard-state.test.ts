import { describe, expect, it } from "bun:test";
import { MAX_FILTERS } from "../../../shared/analytics-constants.ts";
import {
  addFilterPatch,
  clearComparePatch,
  comparePatch,
  customRangePatch,
  describeComparison,
  describePeriod,
  type Filter,
  filterFromForm,
  parseFilter,
  presetPatch,
  readDashboardState,
  refetchIntervalOf,
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
      compareFrom: null,
      compareTo: null,
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
          "eq:planet:Mars",
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

  it("round-trips every op, on a dimension and on a property", () => {
    const filters: Filter[] = [
      { op: "eq", dimension: "path", value: "/pricing" },
      { op: "neq", dimension: "path", value: "/docs" },
      { op: "contains", dimension: "property:plan", value: "pro" },
      { op: "not_contains", dimension: "utm_source", value: "news" },
      { op: "is_set", dimension: "browser" },
      { op: "not_set", dimension: "property:coupon:code" },
      { op: "in", dimension: "path", values: ["/a", "/b"] },
    ];
    const state = readDashboardState({ f: filters.map(serializeFilter) }, VIEWER);
    expect(state.filters).toEqual(filters);
    expect(serializeFilter(filters[4]!)).toBe("is_set:browser");
    expect(serializeFilter(filters[6]!)).toBe("in:path:/a,/b");
  });

  it("round-trips in values holding commas and percent signs", () => {
    const filter: Filter = { op: "in", dimension: "property:tag", values: ["a,b", "100%", "%2C", "x:y"] };
    expect(parseFilter(serializeFilter(filter))).toEqual(filter);
  });

  it("drops filters the server would refuse: an empty value, a value on is_set, a bad in group", () => {
    const state = readDashboardState(
      {
        f: [
          "eq:path:",
          "not_contains:path:",
          "is_set:browser:Chrome",
          "not_set:browser:",
          "is_set:planet",
          "in:path:/a",
          "in:path:/a,",
          `in:path:${Array.from({ length: 21 }, (_, i) => `/p${i}`).join(",")}`,
          "in:path:/a,%E0%A4%A",
          "eq:path:/a\u0000",
          "in:os:iOS,Linux",
          "in:path:/a,/b",
          "not_set:referrer",
        ],
      },
      VIEWER,
    );
    // The first valid in group is kept; a second one is dropped (the server takes one).
    expect(state.filters).toEqual([
      { op: "in", dimension: "os", values: ["iOS", "Linux"] },
      { op: "not_set", dimension: "referrer" },
    ]);
  });

  it("replaces the in group when another is added", () => {
    const state = readDashboardState({ f: ["in:path:/a,/b", "eq:browser:Firefox"] }, VIEWER);
    expect(addFilterPatch(state, { op: "in", dimension: "os", values: ["iOS", "Linux"] })).toEqual({
      f: ["eq:browser:Firefox", "in:os:iOS,Linux"],
    });
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

describe("filterFromForm", () => {
  const form = { dimension: "path", propertyKey: "", op: "eq", value: "", values: "" };

  it("makes a filter of every op, asking a value only where the op takes one", () => {
    expect(filterFromForm({ ...form, op: "not_contains", value: " /docs " })).toEqual({
      filter: { dimension: "path", op: "not_contains", value: "/docs" },
    });
    expect(filterFromForm({ ...form, op: "is_set", value: "ignored" })).toEqual({
      filter: { dimension: "path", op: "is_set" },
    });
    expect(filterFromForm({ ...form, dimension: "property", propertyKey: "plan", op: "not_set" })).toEqual({
      filter: { dimension: "property:plan", op: "not_set" },
    });
    expect(filterFromForm({ ...form, op: "in", values: "/a, /b,, /a" })).toEqual({
      filter: { dimension: "path", op: "in", values: ["/a", "/b"] },
    });
  });

  it("says what is missing instead of making a filter the server would refuse", () => {
    expect(filterFromForm({ ...form, op: "eq", value: "  " })).toEqual({
      error: "Enter a value (or choose is set / is not set).",
    });
    expect(filterFromForm({ ...form, op: "in", values: "/a" })).toEqual({
      error: "Enter 2 to 20 values, separated by commas.",
    });
    expect(filterFromForm({ ...form, dimension: "property", op: "is_set" })).toEqual({
      error: "Enter a property key.",
    });
    expect(filterFromForm({ ...form, op: "like", value: "/a" })).toEqual({ error: "Choose a condition." });
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

describe("Today, Yesterday and Compare to", () => {
  // 2026-03-10 02:30 UTC is still 2026-03-09 in New York (UTC-4 since the DST change on Mar 8).
  const NOW = Date.UTC(2026, 2, 10, 2, 30);
  const NY = "America/New_York";

  it("reads today and yesterday from the URL and names them", () => {
    expect(readDashboardState({ period: "today" }, "UTC").period).toBe("today");
    expect(describePeriod(readDashboardState({ period: "yesterday" }, "UTC"))).toBe("Yesterday");
  });

  it("sends today as its local midnight up to now, yesterday as the local day before", () => {
    const today = toAnalyticsRange(readDashboardState({ period: "today", tz: NY }, "UTC"), NOW);
    expect(today).toEqual({ from: "2026-03-09T04:00:00.000Z", timezone: NY, filters: undefined });
    const yesterday = toAnalyticsRange(readDashboardState({ period: "yesterday", tz: NY }, "UTC"), NOW);
    expect(yesterday).toMatchObject({ from: "2026-03-08T05:00:00.000Z", to: "2026-03-09T04:00:00.000Z" });
  });

  it("refetches ranges that reach now and leaves past ones alone", () => {
    const range = (search: Record<string, string>) => toAnalyticsRange(readDashboardState(search, "UTC"), NOW);
    expect(refetchIntervalOf(range({ period: "7d" }), NOW)).toBe(30_000);
    expect(refetchIntervalOf(range({ period: "today" }), NOW)).toBe(30_000);
    expect(refetchIntervalOf(range({ period: "yesterday" }), NOW)).toBe(false);
    expect(refetchIntervalOf(range({ period: "custom", from: "2026-03-01", to: "2026-03-10" }), NOW)).toBe(30_000);
    expect(refetchIntervalOf(range({ period: "custom", from: "2026-03-01", to: "2026-03-05" }), NOW)).toBe(false);
  });

  it("keeps the compare days in the URL, in order, and sends them as whole local days", () => {
    const state = readDashboardState({ period: "7d", cfrom: "2026-02-07", cto: "2026-02-01" }, "UTC");
    expect([state.compareFrom, state.compareTo]).toEqual(["2026-02-01", "2026-02-07"]);
    expect(toAnalyticsRange(state, NOW)).toMatchObject({
      period: "7d",
      compareFrom: "2026-02-01T00:00:00.000Z",
      compareTo: "2026-02-08T00:00:00.000Z",
    });
    expect(describeComparison(state)).toBe("Feb 1 – Feb 7, 2026");
    expect(readDashboardState({ cfrom: "2026-02-01" }, "UTC").compareFrom).toBeNull();
    expect(comparePatch("2026-02-07", "2026-02-01")).toEqual({ cfrom: "2026-02-01", cto: "2026-02-07" });
    expect(comparePatch("nope", "2026-02-01")).toBeNull();
    expect(clearComparePatch()).toEqual({ cfrom: null, cto: null });
  });
});
