/**
 * The Funnels page's own state in the URL (beside the dashboard's period, tz and f, see dashboard-state.ts):
 *   ?step=signup (repeatable, in order)   the steps' event names; empty names are kept so a half-built funnel
 *                                          survives a reload, but only a funnel of 2+ named steps is queried
 *   ?sf=1~eq:path:/checkout (repeatable)   a step filter: the 0-based step index, "~", a filter as in ?f=
 *   ?sg=0~<goal id> (repeatable)           a goal step: the 0-based step index, "~", one of the project's goals; the
 *                                          step's event and filters are then ignored (a goal has its own)
 *   ?window=3600                           the conversion window in seconds (1 day when absent or invalid)
 *   ?by=sessions                           count sessions instead of people
 *   ?bd=browser | ?bd=property.plan        the breakdown dimension (a property as property.<percent-encoded key>)
 * Pure functions over a plain record of search params, like dashboard-state.ts.
 */
import { isDimension } from "../../../shared/dimensions.ts";
import {
  DEFAULT_FUNNEL_WINDOW_SECONDS,
  MAX_EVENT_NAME_LENGTH,
  MAX_FUNNEL_STEPS,
  MAX_FUNNEL_WINDOW_SECONDS,
  MIN_FUNNEL_STEPS,
} from "../../../shared/funnel-constants.ts";
import { type Filter, parseFilter, type SearchPatch, type SearchRecord, serializeFilter } from "./dashboard-state.ts";

export interface FunnelStepState {
  event: string;
  filters: Filter[];
  /** A goal step (shared/funnel.ts `{ goalId }`): when set, `event` and `filters` are not sent. */
  goalId?: string | undefined;
}

const GOAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FunnelState {
  steps: FunnelStepState[];
  windowSeconds: number;
  countBy: "users" | "sessions";
  breakdown: string | null;
}

/** The windows offered in the picker (any whole number of seconds up to 90 days works from a URL). */
export const WINDOW_CHOICES = [
  { seconds: 600, label: "10 minutes" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 7 * 86_400, label: "7 days" },
  { seconds: 30 * 86_400, label: "30 days" },
  { seconds: 90 * 86_400, label: "90 days" },
];

const all = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const first = (value: string | string[] | undefined) => all(value)[0];

/** "property.<encoded key>" in the URL, "property:<key>" for the API. */
function parseBreakdown(raw: string | undefined): string | null {
  if (!raw) return null;
  if (raw.startsWith("property.")) {
    try {
      const key = decodeURIComponent(raw.slice("property.".length));
      return key.length > 0 && key.length <= 200 && !key.includes("\u0000") ? `property:${key}` : null;
    } catch {
      return null;
    }
  }
  return isDimension(raw) && !raw.startsWith("property:") ? raw : null;
}

function serializeBreakdown(dimension: string): string {
  return dimension.startsWith("property:")
    ? `property.${encodeURIComponent(dimension.slice("property:".length))}`
    : dimension;
}

export function readFunnelState(search: SearchRecord): FunnelState {
  const events = all(search.step)
    .slice(0, MAX_FUNNEL_STEPS)
    .map((event) => event.slice(0, MAX_EVENT_NAME_LENGTH));
  while (events.length < MIN_FUNNEL_STEPS) events.push("");
  const steps: FunnelStepState[] = events.map((event) => ({ event, filters: [] }));
  for (const raw of all(search.sf)) {
    const cut = raw.indexOf("~");
    const index = Number(raw.slice(0, cut));
    const filter = cut > 0 ? parseFilter(raw.slice(cut + 1)) : null;
    if (filter && Number.isInteger(index) && index >= 0 && index < steps.length) steps[index]!.filters.push(filter);
  }
  for (const raw of all(search.sg)) {
    const cut = raw.indexOf("~");
    const index = Number(raw.slice(0, cut));
    const goalId = raw.slice(cut + 1);
    if (cut > 0 && GOAL_ID.test(goalId) && Number.isInteger(index) && index >= 0 && index < steps.length) {
      steps[index]!.goalId = goalId.toLowerCase();
    }
  }
  const window = Number(first(search.window));
  return {
    steps,
    windowSeconds:
      Number.isInteger(window) && window >= 1 && window <= MAX_FUNNEL_WINDOW_SECONDS
        ? window
        : DEFAULT_FUNNEL_WINDOW_SECONDS,
    countBy: first(search.by) === "sessions" ? "sessions" : "users",
    breakdown: parseBreakdown(first(search.bd)),
  };
}

/** The patch writing `state` to the URL (defaults left out). */
export function funnelPatch(state: FunnelState): SearchPatch {
  const sf = state.steps.flatMap((step, i) =>
    step.goalId ? [] : step.filters.map((filter) => `${i}~${serializeFilter(filter)}`),
  );
  const sg = state.steps.flatMap((step, i) => (step.goalId ? [`${i}~${step.goalId}`] : []));
  return {
    step: state.steps.map((step) => (step.goalId ? "" : step.event)),
    sf: sf.length ? sf : null,
    sg: sg.length ? sg : null,
    window: state.windowSeconds === DEFAULT_FUNNEL_WINDOW_SECONDS ? null : String(state.windowSeconds),
    by: state.countBy === "sessions" ? "sessions" : null,
    bd: state.breakdown === null ? null : serializeBreakdown(state.breakdown),
  };
}

/** The funnel the API can answer: every step a goal or named (after trimming), 2-10 of them; null otherwise. */
export function funnelQueryInput(state: FunnelState) {
  if (state.steps.length < MIN_FUNNEL_STEPS) return null;
  if (state.steps.some((step) => !step.goalId && step.event.trim() === "")) return null;
  return {
    steps: state.steps.map((step) =>
      step.goalId
        ? { goalId: step.goalId }
        : step.filters.length
          ? { event: step.event.trim(), filters: step.filters }
          : { event: step.event.trim() },
    ),
    windowSeconds: state.windowSeconds,
    countBy: state.countBy,
    ...(state.breakdown === null ? {} : { breakdown: state.breakdown }),
  };
}
