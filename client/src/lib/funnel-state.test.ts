import { describe, expect, it } from "bun:test";
import { funnelPatch, funnelQueryInput, readFunnelState } from "./funnel-state.ts";

describe("funnel state in the URL", () => {
  it("round-trips steps, step filters, window, count by and a property breakdown", () => {
    const search = {
      step: ["signup", "checkout", "purchase"],
      sf: ["1~eq:path:/checkout", "1~is_set:referrer"],
      window: "3600",
      by: "sessions",
      bd: "property.plan%3Atier",
    };
    const state = readFunnelState(search);
    expect(state).toEqual({
      steps: [
        { event: "signup", filters: [] },
        {
          event: "checkout",
          filters: [
            { op: "eq", dimension: "path", value: "/checkout" },
            { op: "is_set", dimension: "referrer" },
          ],
        },
        { event: "purchase", filters: [] },
      ],
      windowSeconds: 3600,
      countBy: "sessions",
      breakdown: "property:plan:tier",
    });
    expect(readFunnelState(funnelPatch(state) as typeof search)).toEqual(state);
  });

  it("keeps a half-built funnel but queries only named steps, and drops what the server would refuse", () => {
    const state = readFunnelState({
      step: "signup",
      window: String(91 * 86_400),
      bd: "nope",
      sf: ["7~eq:path:/x", "x"],
    });
    expect(state.steps).toEqual([
      { event: "signup", filters: [] },
      { event: "", filters: [] },
    ]);
    expect(state.windowSeconds).toBe(86_400);
    expect(state.breakdown).toBeNull();
    expect(funnelQueryInput(state)).toBeNull();
    expect(funnelPatch(state)).toEqual({ step: ["signup", ""], sf: null, window: null, by: null, bd: null });
    const named = readFunnelState({ step: [" signup ", "purchase"] });
    expect(funnelQueryInput(named)).toEqual({
      steps: [{ event: "signup" }, { event: "purchase" }],
      windowSeconds: 86_400,
      countBy: "users",
    });
  });
});
