/**
 * The filter contract of shared/analytics.ts, as a client sees it: which filters the API takes, and for each refusal
 * the field its issue names (so a tRPC answer says `filters.2.value`, never a 500).
 */
import { describe, expect, it } from "bun:test";
import { analyticsInputSchema, timeseriesInputSchema } from "./analytics.ts";
import { FILTER_OP_LABELS, FILTER_OPS, MAX_FILTERS } from "./analytics-constants.ts";

const projectId = "0190a8e4-0000-7000-8000-000000000000";

/** The parsed filters, or the paths of the issues (dotted) when the input is refused. */
function parse(filters: unknown[]): { filters: unknown } | { refused: string[] } {
  const result = analyticsInputSchema.safeParse({ projectId, filters });
  if (result.success) return { filters: result.data.filters };
  return { refused: result.error.issues.map((issue) => issue.path.join(".")) };
}

describe("the filter contract", () => {
  it("offers seven ops, each with the dashboard's words", () => {
    expect([...FILTER_OPS]).toEqual(["eq", "neq", "contains", "not_contains", "is_set", "not_set", "in"]);
    expect(FILTER_OPS.map((op) => FILTER_OP_LABELS[op])).toEqual([
      "is",
      "is not",
      "contains",
      "does not contain",
      "is set",
      "is not set",
      "is one of",
    ]);
  });

  it("takes every op in its own shape, on a dimension and on a property", () => {
    const filters = [
      { dimension: "path", op: "eq", value: "/a" },
      { dimension: "path", op: "neq", value: "/b" },
      { dimension: "property:plan", op: "contains", value: "pr" },
      { dimension: "property:plan", op: "not_contains", value: "x" },
      { dimension: "browser", op: "is_set" },
      { dimension: "property:coupon", op: "not_set" },
      { dimension: "path", op: "in", values: ["/pricing", "/signup"] },
    ];
    expect(parse(filters)).toEqual({ filters });
  });

  it("refuses an empty value for every op that takes one, on the value, saying to use is_set/not_set", () => {
    for (const op of ["eq", "neq", "contains", "not_contains"]) {
      const result = analyticsInputSchema.safeParse({ projectId, filters: [{ dimension: "path", op, value: "" }] });
      expect(result.error?.issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([
        ["filters.0.value", expect.stringContaining("is_set or not_set")],
      ]);
    }
    expect(parse([{ dimension: "path", op: "in", values: ["/a", ""] }])).toEqual({ refused: ["filters.0.values.1"] });
  });

  it("refuses a value given to is_set or not_set, even an empty one", () => {
    expect(parse([{ dimension: "path", op: "is_set", value: "/a" }])).toEqual({ refused: ["filters.0.value"] });
    expect(parse([{ dimension: "path", op: "not_set", value: "" }])).toEqual({ refused: ["filters.0.value"] });
    expect(parse([{ dimension: "path", op: "is_set", values: ["/a", "/b"] }])).toEqual({
      refused: ["filters.0.values"],
    });
  });

  it("refuses a value over 1,000 characters or holding NUL, on that value", () => {
    const long = "a".repeat(1001);
    expect(parse([{ dimension: "path", op: "eq", value: "a".repeat(1000) }])).toHaveProperty("filters");
    expect(parse([{ dimension: "path", op: "eq", value: long }])).toEqual({ refused: ["filters.0.value"] });
    expect(parse([{ dimension: "path", op: "contains", value: "a\u0000" }])).toEqual({ refused: ["filters.0.value"] });
    expect(parse([{ dimension: "path", op: "in", values: ["/a", long] }])).toEqual({ refused: ["filters.0.values.1"] });
    expect(parse([{ dimension: "path", op: "in", values: ["\u0000", "/b"] }])).toEqual({
      refused: ["filters.0.values.0"],
    });
  });

  it("takes one in filter of 2-20 values, and refuses the second in filter on its op", () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `/p${i}`);
    expect(parse([{ dimension: "path", op: "in", values: values(20) }])).toHaveProperty("filters");
    expect(parse([{ dimension: "path", op: "in", values: values(1) }])).toEqual({ refused: ["filters.0.values"] });
    expect(parse([{ dimension: "path", op: "in", values: values(21) }])).toEqual({ refused: ["filters.0.values"] });
    expect(parse([{ dimension: "path", op: "in", value: "/a" }])).toEqual({
      refused: expect.arrayContaining(["filters.0.values"]),
    });
    const two = [
      { dimension: "path", op: "eq", value: "/a" },
      { dimension: "path", op: "in", values: ["/a", "/b"] },
      { dimension: "browser", op: "in", values: ["Chrome", "Firefox"] },
    ];
    expect(parse(two)).toEqual({ refused: ["filters.2.op"] });
  });

  it("refuses values given to a single-value op", () => {
    expect(parse([{ dimension: "path", op: "eq", value: "/a", values: ["/a", "/b"] }])).toEqual({
      refused: ["filters.0.values"],
    });
  });

  it("refuses an unknown op or dimension and a property key with NUL, naming the field", () => {
    expect(parse([{ dimension: "path", op: "like", value: "/a" }])).toEqual({ refused: ["filters.0.op"] });
    expect(parse([{ dimension: "path", value: "/a" }])).toEqual({ refused: ["filters.0.op"] });
    expect(parse([{ dimension: "planet", op: "eq", value: "Mars" }])).toEqual({ refused: ["filters.0.dimension"] });
    expect(parse([{ dimension: "property:pl\u0000an", op: "is_set" }])).toEqual({
      refused: ["filters.0.dimension"],
    });
    expect(parse([{ dimension: "property:", op: "is_set" }])).toEqual({ refused: ["filters.0.dimension"] });
  });

  it("takes up to 20 filters and refuses 21 on filters", () => {
    const neq = (n: number) => Array.from({ length: n }, (_, i) => ({ dimension: "path", op: "neq", value: `/${i}` }));
    expect(parse(neq(MAX_FILTERS))).toHaveProperty("filters");
    expect(parse(neq(MAX_FILTERS + 1))).toEqual({ refused: ["filters"] });
  });

  it("takes 20 filters on 42 days of hourly points: the buckets x filters cap is lifted", () => {
    const now = Date.now();
    const result = timeseriesInputSchema.safeParse({
      projectId,
      from: new Date(now - 42 * 86_400_000 + 60_000).toISOString(),
      to: new Date(now).toISOString(),
      granularity: "hour",
      filters: Array.from({ length: 20 }, (_, i) => ({ dimension: `property:k${i}`, op: "neq", value: "x" })),
    });
    expect(result.success).toBe(true);
  });
});
