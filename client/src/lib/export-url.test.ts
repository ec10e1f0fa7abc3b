import { describe, expect, it } from "bun:test";
import { exportEventsUrl } from "./export-url.ts";

describe("exportEventsUrl", () => {
  it("carries the range, the filters as JSON and the format", () => {
    const url = new URL(
      exportEventsUrl(
        "p1",
        {
          from: "2026-01-01T00:00:00.000Z",
          to: "2026-01-08T00:00:00.000Z",
          timezone: "UTC",
          filters: [{ dimension: "country", op: "eq", value: "DE" }],
        },
        "csv",
      ),
      "https://dash.example",
    );
    expect(url.pathname).toBe("/api/v1/export/events");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      projectId: "p1",
      format: "csv",
      from: "2026-01-01T00:00:00.000Z",
      to: "2026-01-08T00:00:00.000Z",
      filters: '[{"dimension":"country","op":"eq","value":"DE"}]',
    });
  });

  it("sends a preset period as is", () => {
    const url = new URL(exportEventsUrl("p1", { period: "30d", timezone: "UTC" }, "ndjson"), "https://dash.example");
    expect(url.searchParams.get("period")).toBe("30d");
    expect(url.searchParams.has("filters")).toBe(false);
  });
});
