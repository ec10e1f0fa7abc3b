import { describe, expect, it } from "bun:test";
import type { SearchPatch, SearchRecord } from "./dashboard-state.ts";
import { funnelPatch, funnelQueryInput, readFunnelState } from "./funnel-state.ts";

/** The search params a patch leaves (a null removes its key). */
const applied = (patch: SearchPatch) =>
  Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== null && value !== undefined),
  ) as SearchRecord;

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
    expect(readFunnelState(applied(funnelPatch(state)))).toEqual(state);
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
    expect(funnelPatch(state)).toEqual({ step: ["signup", ""], sf: null, sg: null, window: null, by: null, bd: null });
    const named = readFunnelState({ step: [" signup ", "purchase"] });
    expect(funnelQueryInput(named)).toEqual({
      steps: [{ event: "signup" }, { event: "purchase" }],
      windowSeconds: 86_400,
      countBy: "users",
    });
  });

  it("reads a goal step, sends it as { goalId } without event or filters, and ignores malformed ones", () => {
    const goal = "0190e5a4-7b1c-7d2e-8f3a-4b5c6d7e8f90";
    const state = readFunnelState({
      step: ["", "purchase"],
      sg: [`0~${goal.toUpperCase()}`, "1~not-a-uuid", `5~${goal}`],
      sf: ["0~eq:path:/ignored"],
    });
    expect(state.steps[0]!.goalId).toBe(goal);
    expect(state.steps[1]!.goalId).toBeUndefined();
    expect(funnelQueryInput(state)?.steps).toEqual([{ goalId: goal }, { event: "purchase" }]);
    const patch = funnelPatch(state);
    expect(patch).toMatchObject({ step: ["", "purchase"], sf: null, sg: [`0~${goal}`] });
    expect(readFunnelState(applied(patch)).steps[0]!.goalId).toBe(goal);
  });
});
