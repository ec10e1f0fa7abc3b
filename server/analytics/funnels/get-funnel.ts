/**
 * analytics.funnel and analytics.funnelPeople over the query engine (README.md, "Funnels"). One scan reads the
 * range's segments with the event name, the step filters' columns and the breakdown column; only step events (an
 * event-name table per segment, then the global and step filter masks) are copied out, as typed arrays, and walked
 * once per entity (window-funnel.ts). Null from the engine (the project's upgrade backfill is still running) becomes
 * FunnelUnavailableError: funnels have no raw-events path.
 */
import { sql } from "drizzle-orm";
import { type DimensionFilter, isCohortFilter, resolveRange } from "../../../shared/analytics.ts";
import {
  FUNNEL_BREAKDOWN_LIMIT,
  FUNNEL_OTHER,
  FUNNEL_PEOPLE_PAGE_SIZE,
  type FunnelBreakdownRow,
  type FunnelPeoplePage,
  type FunnelResult,
  type FunnelStep,
  type ParsedFunnelInput,
  type ParsedFunnelPeopleInput,
  type ResolvedFunnelStep,
} from "../../../shared/funnel.ts";
import { pathPatternRegExp } from "../../../shared/goals.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { firstSlotAtOrAfter, slotsWithCodes } from "../engine/code-slots.ts";
import { type CodeArray, type Column, DICTIONARY } from "../engine/column-codec.ts";
import { acceptTable, columnNameOf, type EngineFilter, filterMask, patternMask } from "../engine/filter-masks.ts";
import type { Members, QueryEngine, ScannedSegment } from "../engine/query-engine.ts";
import { resolveGoalSteps } from "../goals/resolve-goal-steps.ts";
import { type FunnelWalk, StepEvents, walkFunnel } from "./window-funnel.ts";

export const FUNNEL_UNAVAILABLE =
  "Funnels are available once the upgrade backfill finishes: try again in a few minutes.";

/** The engine does not serve the project yet (its upgrade backfill is running). */
export class FunnelUnavailableError extends Error {
  constructor() {
    super(FUNNEL_UNAVAILABLE);
  }
}

const EVENT_NAME_COLUMN = "event_name";
const PATH_COLUMN = "path";

/** A funnel input whose goal steps are resolved to what they match (resolveGoalSteps). */
export type WalkableFunnelInput = Omit<ParsedFunnelInput, "steps"> & { steps: ResolvedFunnelStep[] };
type Dictionary = Extract<Column, { kind: typeof DICTIONARY }>;
const dictionary = (column: Column | null): Dictionary | null =>
  column !== null && column.kind === DICTIONARY ? column : null;

function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Walked {
  walk: FunnelWalk;
  /** Breakdown value by id (id 0 is "", a missing value). */
  valueNames: string[];
}

/** Collects the step events of the range and walks them; throws FunnelUnavailableError while the engine cannot. */
export async function walkFunnelInput(
  db: Database,
  engine: QueryEngine,
  input: WalkableFunnelInput,
  now: number,
): Promise<Walked> {
  const { from, to } = resolveRange(input, now);
  const span = { from: from.getTime(), to: to.getTime() };
  const filters: EngineFilter[] = input.filters ?? [];
  const steps = input.steps;
  const stepFilterColumns = steps.map((step) => (step.filters ?? []).map((f) => columnNameOf(f.dimension)));
  const breakdownColumn = input.breakdown === undefined ? null : columnNameOf(input.breakdown);
  const extra = [EVENT_NAME_COLUMN, ...stepFilterColumns.flat()];
  if (steps.some((step) => step.pathPattern !== undefined)) extra.push(PATH_COLUMN);
  if (breakdownColumn !== null) extra.push(breakdownColumn);
  const bySessions = input.countBy === "sessions";

  const plan: CollectPlan = { span, filters, steps, stepFilterColumns, breakdownColumn, bySessions };
  const collected = await engine.scan(db, input.projectId, span, filters, extra, (segments, members) =>
    collectStepEvents(segments, members, plan),
  );
  if (collected === null) throw new FunnelUnavailableError();
  const distinct = new Set(steps.map((step) => step.event)).size === steps.length;
  return walkCollected(collected, steps.length, input.windowSeconds * 1000, distinct);
}

/** Walks collected step events (breakdown values ranked by text first, see window-funnel.ts). */
export function walkCollected(
  collected: { events: StepEvents; valueNames: string[]; space: number },
  stepCount: number,
  windowMs: number,
  distinctSteps: boolean,
): Walked {
  const { events, valueNames } = collected;
  let space = collected.space;
  for (let i = 0; i < events.n; i++) if (events.entity[i]! >= space) space = events.entity[i]! + 1;
  // Breakdown values ranked by text, so ties between equal-time step-1 events do not depend on storage order.
  const byText = valueNames.map((_, id) => id).sort((a, b) => compareText(valueNames[a]!, valueNames[b]!));
  const valueRank = new Int32Array(valueNames.length);
  byText.forEach((id, r) => {
    valueRank[id] = r;
  });
  const walk = walkFunnel(events, stepCount, windowMs, space, valueRank, distinctSteps);
  return { walk, valueNames };
}

/** What collectStepEvents needs of a funnel input (column names resolved). */
export interface CollectPlan {
  span: { from: number; to: number };
  filters: readonly EngineFilter[];
  steps: ReadonlyArray<{ event: string; filters?: EngineFilter[] | undefined; pathPattern?: string | undefined }>;
  stepFilterColumns: string[][];
  breakdownColumn: string | null;
  bySessions: boolean;
}

/**
 * The step events of scanned segments: per segment an event-name table (code -> step bits), then the global and
 * step filter masks; only events with a step bit left, an entity (session, or person through the alias map) and a
 * time in the span are copied out.
 */
export function collectStepEvents(
  segments: readonly ScannedSegment[],
  members: Members,
  plan: CollectPlan,
): { events: StepEvents; valueNames: string[]; space: number } {
  const { span, filters, steps, stepFilterColumns, breakdownColumn, bySessions } = plan;
  const events = new StepEvents();
  const valueIds = new Map<string, number>([["", 0]]);
  const valueNames = [""];
  const personOf = members.personOf;
  const patterns = steps.map((step) => (step.pathPattern === undefined ? null : pathPatternRegExp(step.pathPattern)));
  const order = segments.map((_, s) => s).sort((a, b) => segments[a]!.info.minTs - segments[b]!.info.minTs);
  for (const s of order) {
    const segment = segments[s]!;
    const names = dictionary(segment.column(EVENT_NAME_COLUMN));
    if (names === null) continue;
    const nameBits = new Uint16Array(names.entries.length + 1);
    let any = false;
    names.entries.forEach((entry, i) => {
      for (let k = 0; k < steps.length; k++) {
        if (steps[k]!.event === entry) {
          nameBits[i + 1]! |= 1 << k;
          any = true;
        }
      }
    });
    if (!any) continue;
    const lo = lowerBound(segment.ts, span.from);
    const hi = lowerBound(segment.ts, span.to);
    if (lo >= hi) continue;
    const mask = filterMask(filters, segment.filterColumns, lo, hi);
    // The steps' filters as one table per column, code -> the step bits that survive it: an event keeps step k when
    // every filter of step k accepts its value, which is the AND of the steps' filter masks, one lookup per column
    // and event of a step's name instead of a mask over every slot. A column the segment lacks decides for all its
    // events at once (its code-0 entry), folded into the name table.
    const stepColumns: Array<{ codes: ArrayLike<number>; keep: Uint16Array }> = [];
    const byColumn = new Map<string, DimensionFilter[][]>();
    // A cohort filter on a step reads the user column, not a dictionary: it keeps a per-event mask (filterMask), as
    // does a path-pattern goal step (the path must match the pattern whole).
    const stepMasks: Array<Uint8Array | null> = steps.map(() => null);
    steps.forEach((step, k) => {
      const cohortFilters = (step.filters ?? []).filter(isCohortFilter);
      if (cohortFilters.length > 0) {
        const columns = cohortFilters.map((filter) => segment.column(columnNameOf(filter.dimension)));
        stepMasks[k] = filterMask(cohortFilters, columns, lo, hi);
      }
      const pattern = patterns[k];
      if (pattern !== null && pattern !== undefined) {
        const onPath = patternMask(pattern, segment.column(PATH_COLUMN), lo, hi);
        const other = stepMasks[k];
        if (other) for (let i = 0; i < onPath.length; i++) onPath[i]! &= other[i]!;
        stepMasks[k] = onPath;
      }
    });
    const stepMasked = stepMasks.some((stepMask) => stepMask !== null);
    steps.forEach((step, k) => {
      (step.filters ?? []).forEach((filter, f) => {
        if (isCohortFilter(filter)) return;
        const name = stepFilterColumns[k]![f]!;
        let perStep = byColumn.get(name);
        if (!perStep) {
          perStep = steps.map(() => []);
          byColumn.set(name, perStep);
        }
        perStep[k]!.push(filter);
      });
    });
    for (const [name, perStep] of byColumn) {
      const column = segment.column(name);
      const keep = new Uint16Array(column !== null && column.kind === DICTIONARY ? column.entries.length + 1 : 1);
      keep.fill(0xffff);
      perStep.forEach((stepFilters, k) => {
        for (const filter of stepFilters) {
          const accept = acceptTable(filter, column);
          for (let code = 0; code < keep.length; code++) if (accept[code] === 0) keep[code]! &= ~(1 << k);
        }
      });
      if (column === null || column.kind !== DICTIONARY) {
        for (let code = 1; code < nameBits.length; code++) nameBits[code]! &= keep[0]!;
      } else stepColumns.push({ codes: column.codes, keep });
    }
    const entityColumn = bySessions ? segment.sessions : segment.users;
    if (entityColumn === null) throw new Error("scan() did not load sessions and users");
    const values = breakdownColumn === null ? null : dictionary(segment.column(breakdownColumn));
    let codeToId: Int32Array | null = null;
    if (values !== null) {
      codeToId = new Int32Array(values.entries.length + 1);
      values.entries.forEach((entry, i) => {
        let id = valueIds.get(entry);
        if (id === undefined) {
          id = valueNames.length;
          valueIds.set(entry, id);
          valueNames.push(entry);
        }
        codeToId![i + 1] = id;
      });
    }
    const codes = names.codes;
    const ts = segment.ts;
    const columnCount = stepColumns.length;
    const slots = candidateSlots(segment, names, nameBits, plan);
    const end = firstSlotAtOrAfter(slots, hi);
    for (let p = firstSlotAtOrAfter(slots, lo); p < end; p++) {
      const i = slots[p]!;
      let bits = nameBits[codes[i]!]!;
      if (bits === 0) continue;
      for (let c = 0; c < columnCount && bits !== 0; c++) {
        const stepColumn = stepColumns[c]!;
        bits &= stepColumn.keep[stepColumn.codes[i]!]!;
      }
      if (bits === 0) continue;
      if (stepMasked) {
        for (let k = 0; k < steps.length; k++) {
          const stepMask = stepMasks[k];
          if (stepMask && bits & (1 << k) && stepMask[i - lo] === 0) bits &= ~(1 << k);
        }
        if (bits === 0) continue;
      }
      if (mask !== null && mask[i - lo] === 0) continue;
      let entity = entityColumn[i]!;
      if (entity < 0) continue;
      if (!bySessions && personOf !== null && entity < personOf.length) entity = personOf[entity]!;
      const value = codeToId === null || values === null ? 0 : codeToId[values.codes[i]!]!;
      events.push(entity, ts[i]!, bits, value);
    }
  }
  const space = (bySessions ? members.sessionSpace : members.userSpace) + 1;
  return { events, valueNames, space };
}

/**
 * The slots that may match a step, in slot order (the loop above checks each in full, so a superset is enough): per
 * step whose name the segment holds, the slots of the values of its first `eq` or `in` filter when it has one (an
 * event of the step must hold one of them: a missing value never matches these ops), else the slots of its name.
 * The lists come from code-slots.ts (cached per column) and are merged when there are several.
 */
function candidateSlots(
  segment: ScannedSegment,
  names: Dictionary,
  nameBits: Uint16Array,
  { steps, stepFilterColumns }: CollectPlan,
): Int32Array {
  const wanted = new Map<CodeArray, Set<number>>();
  const want = (codes: CodeArray, code: number) => {
    let set = wanted.get(codes);
    if (!set) {
      set = new Set();
      wanted.set(codes, set);
    }
    set.add(code);
  };
  steps.forEach((step, k) => {
    const bit = 1 << k;
    const nameCodes: number[] = [];
    for (let code = 1; code < nameBits.length; code++) if (nameBits[code]! & bit) nameCodes.push(code);
    if (nameCodes.length === 0) return;
    const filters = step.filters ?? [];
    // A cohort filter's `in` is over people, not a column's values: it gives no slots.
    const f = filters.findIndex((filter) => !isCohortFilter(filter) && (filter.op === "eq" || filter.op === "in"));
    const column = f < 0 ? null : dictionary(segment.column(stepFilterColumns[k]![f]!));
    if (column === null) {
      for (const code of nameCodes) want(names.codes, code);
      return;
    }
    const accept = acceptTable(filters[f] as DimensionFilter, column);
    for (let code = 1; code < accept.length; code++) if (accept[code] === 1) want(column.codes, code);
  });
  const lists = [...wanted].map(([codes, set]) => slotsWithCodes(codes, [...set]));
  return lists.length === 0 ? new Int32Array(0) : lists.reduce(unionOfSlots);
}

/** The union of two ascending slot lists, ascending, each slot once. */
function unionOfSlots(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x <= y) {
      out[n++] = x;
      i++;
      if (x === y) j++;
    } else {
      out[n++] = y;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++]!;
  while (j < b.length) out[n++] = b[j++]!;
  return out.subarray(0, n);
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The steps' figures over the walked entities `rows` (indexes into the walk). */
function stepFigures(walk: FunnelWalk, rows: readonly number[] | null, events: readonly string[]): FunnelStep[] {
  const n = walk.stepCount;
  const counts = new Array<number>(n).fill(0);
  const gaps: number[][] = events.map(() => []);
  const visit = (r: number) => {
    const level = walk.levels[r]!;
    for (let k = 0; k < level; k++) {
      counts[k]!++;
      if (k > 0) gaps[k]!.push((walk.times[r * n + k]! - walk.times[r * n + k - 1]!) / 1000);
    }
  };
  if (rows === null) for (let r = 0; r < walk.entities.length; r++) visit(r);
  else for (const r of rows) visit(r);
  return events.map((event, k) => ({
    event,
    count: counts[k]!,
    conversionFromStart: k === 0 ? 1 : counts[0]! === 0 ? 0 : counts[k]! / counts[0]!,
    conversionFromPrevious: k === 0 ? 1 : counts[k - 1]! === 0 ? 0 : counts[k]! / counts[k - 1]!,
    medianSecondsFromPrevious: k === 0 ? null : median(gaps[k]!),
  }));
}

export async function getFunnel(
  db: Database,
  engine: QueryEngine,
  input: ParsedFunnelInput,
  now = Date.now(),
): Promise<FunnelResult> {
  const walkable = { ...input, steps: await resolveGoalSteps(db, input.projectId, input.steps) };
  return funnelResult(await walkFunnelInput(db, engine, walkable, now), walkable);
}

/** The funnel's figures (and breakdown rows) from a walk. */
export function funnelResult(
  { walk, valueNames }: Walked,
  input: { steps: readonly ResolvedFunnelStep[]; breakdown?: ParsedFunnelInput["breakdown"] },
): FunnelResult {
  const events = input.steps.map((step) => step.event);
  const labelled = (figures: FunnelStep[]): FunnelStep[] =>
    figures.map((figure, k) => {
      const goal = input.steps[k]!.goal;
      return goal === undefined ? figure : { ...figure, goal };
    });
  const result: FunnelResult = { steps: labelled(stepFigures(walk, null, events)) };
  if (input.breakdown === undefined) return result;
  const rowsByValue = new Map<number, number[]>();
  for (let r = 0; r < walk.entities.length; r++) {
    const id = walk.values[r]!;
    let rows = rowsByValue.get(id);
    if (!rows) {
      rows = [];
      rowsByValue.set(id, rows);
    }
    rows.push(r);
  }
  const ranked = [...rowsByValue.entries()].sort(
    (a, b) => b[1].length - a[1].length || compareText(valueNames[a[0]]!, valueNames[b[0]]!),
  );
  const breakdown: FunnelBreakdownRow[] = ranked
    .slice(0, FUNNEL_BREAKDOWN_LIMIT)
    .map(([id, rows]) => ({ value: valueNames[id]!, steps: labelled(stepFigures(walk, rows, events)) }));
  const rest = ranked.slice(FUNNEL_BREAKDOWN_LIMIT).flatMap(([, rows]) => rows);
  if (rest.length > 0) breakdown.push({ value: FUNNEL_OTHER, steps: labelled(stepFigures(walk, rest, events)) });
  result.breakdown = breakdown;
  return result;
}

/**
 * People whose level is >= step (or = step - 1 when dropped), ordered by when they reached it (for dropped: their
 * last step) and then by person num; the cursor is "<reachedAt ms>_<person num>" of the last item of a page.
 */
export async function getFunnelPeople(
  db: Database,
  engine: QueryEngine,
  input: ParsedFunnelPeopleInput,
  now = Date.now(),
): Promise<FunnelPeoplePage> {
  const steps = await resolveGoalSteps(db, input.projectId, input.steps);
  const { walk } = await walkFunnelInput(db, engine, { ...input, steps, countBy: "users", breakdown: undefined }, now);
  const n = walk.stepCount;
  const slot = input.dropped ? input.step - 2 : input.step - 1;
  const matches: Array<{ at: number; num: number }> = [];
  let after: { at: number; num: number } | null = null;
  if (input.cursor !== undefined) {
    const [at, num] = input.cursor.split("_");
    after = { at: Number(at), num: Number(num) };
  }
  for (let r = 0; r < walk.entities.length; r++) {
    const level = walk.levels[r]!;
    if (input.dropped ? level !== input.step - 1 : level < input.step) continue;
    const at = walk.times[r * n + slot]!;
    const num = walk.entities[r]!;
    if (after !== null && (at < after.at || (at === after.at && num <= after.num))) continue;
    matches.push({ at, num });
  }
  matches.sort((a, b) => a.at - b.at || a.num - b.num);
  const page = matches.slice(0, FUNNEL_PEOPLE_PAGE_SIZE);
  const ids = new Map<number, string>();
  if (page.length > 0) {
    const rows = await queryRows<{ num: string | number; distinct_id: string }>(
      db,
      sql`select num, distinct_id from analytics_users
           where project_id = ${input.projectId}::uuid
             and num in (${sql.join(
               page.map((item) => sql`${item.num}`),
               sql`, `,
             )})`,
    );
    for (const row of rows) ids.set(Number(row.num), row.distinct_id);
  }
  const last = page[page.length - 1];
  return {
    items: page.map((item) => ({ distinctId: ids.get(item.num) ?? "", reachedAt: new Date(item.at).toISOString() })),
    nextCursor: matches.length > FUNNEL_PEOPLE_PAGE_SIZE && last ? `${last.at}_${last.num}` : null,
  };
}
