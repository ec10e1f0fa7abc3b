import { describe, expect, it } from "bun:test";
import { acceptedByApi, baselinePredicate, filteredCases } from "./filtered-queries.ts";
import { emptyResults, evaluateTargets, renderFilteredTable } from "./report.ts";

describe("filtered part", () => {
  it("writes each op as the issue's semantics in plain SQL, values as parameters", () => {
    const { text, params } = baselinePredicate(
      [
        { dimension: "path", op: "eq", value: "/a" },
        { dimension: "property:plan", op: "neq", value: "free" },
        { dimension: "path", op: "contains", value: "Page-1" },
        { dimension: "browser", op: "not_contains", value: "x" },
        { dimension: "utm_source", op: "is_set" },
        { dimension: "property:order_id", op: "not_set" },
        { dimension: "path", op: "in", values: ["/a", "/b"] },
      ],
      4,
    );
    expect(text).toBe(
      [
        `"path" = $4::text`,
        `(properties ->> $5::text) is distinct from $6::text`,
        `strpos(lower("path"), lower($7::text)) > 0`,
        `("browser" is null or strpos(lower("browser"), lower($8::text)) = 0)`,
        `("utm_source" is not null and "utm_source" <> '')`,
        `((properties ->> $9::text) is null or (properties ->> $9::text) = '')`,
        `"path" = any($10::text[])`,
      ].join(" and "),
    );
    expect(params).toEqual(["/a", "plan", "free", "Page-1", "x", "order_id", ["/a", "/b"]]);
    expect(baselinePredicate([], 4).text).toBe("true");
  });

  it("has the issue's cases, at most 20 filters each, and knows which the API accepts", () => {
    const cases = filteredCases("ord_1");
    expect(cases.map((c) => c.id)).toEqual([
      "path_eq",
      "path_neq",
      "path_contains_tail",
      "property_eq",
      "property_neq",
      "mixed_3",
      "path_in_3",
      "neq_20",
      "order_id_eq",
    ]);
    expect(cases.find((c) => c.id === "neq_20")!.filters).toHaveLength(20);
    for (const c of cases) expect(c.filters.length).toBeLessThanOrEqual(20);
    expect(acceptedByApi([{ dimension: "path", op: "eq", value: "/" }])).toBe(true);
  });

  it("renders ratios and marks wrong answers, and sets the targets from the cells", () => {
    const r = emptyResults("quick", "bench", ["filtered"]);
    const cell = (p95: number, base: number, correct = true) => ({
      p50_ms: p95,
      p95_ms: p95,
      samples: 5,
      failed_calls: 0,
      baseline_ms: base,
      speedup: Math.round((base / p95) * 10) / 10,
      correct,
      error: null,
    });
    const row = { overview: cell(10, 2000), timeseries: cell(5, 500), topEvents: cell(20, 400, false) };
    const rest = { breakdown: cell(10, 100), sessions: cell(300, 1500), users: cell(10, 100) };
    r.filtered.cases.push({
      id: "x",
      label: "path eq /",
      filters: [],
      via: "trpc",
      periods: { "30d": { ...row, ...rest }, "90d": { ...row, ...rest } },
    });
    r.filtered.checks = { passed: 10, failed: 2, failures: [] };
    const table = renderFilteredTable(r);
    expect(table).toContain(
      "| path eq / | 30d | 10.0 / 2,000 = 200.0x | 5.0 / 500 = 100.0x | 20.0 / 400 = 20.0x WRONG |",
    );
    evaluateTargets(r);
    expect(r.targets["filtered: p95 < 250 ms over 30 days (10 M events)"]).toBe(false);
    expect(r.targets["filtered: >= 10x the baseline where it takes > 1 s"]).toBe(false);
    expect(r.targets["filtered: every answer equals the baseline's"]).toBe(false);
  });
});
