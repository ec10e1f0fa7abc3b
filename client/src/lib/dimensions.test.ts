import { describe, expect, it } from "bun:test";
import { describeFilter } from "./dimensions.ts";

describe("describeFilter", () => {
  it("reads each filter as a chip says it", () => {
    expect(describeFilter({ dimension: "path", op: "neq", value: "/docs" })).toBe("Page is not /docs");
    expect(describeFilter({ dimension: "browser", op: "is_set" })).toBe("Browser is set");
    expect(describeFilter({ dimension: "referrer", op: "not_set" })).toBe("Referrer is not set");
    expect(describeFilter({ dimension: "path", op: "in", values: ["/a", "/b"] })).toBe("Page is one of /a, /b");
    expect(describeFilter({ dimension: "property:plan", op: "not_contains", value: "free" })).toBe(
      "Property plan does not contain free",
    );
  });
});
