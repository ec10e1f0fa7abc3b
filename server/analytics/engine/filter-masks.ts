/**
 * Filters over segments. A filter is first evaluated on a dictionary column's entries (a few thousand distinct values
 * at most, whatever the number of events): the result is an accept table indexed by code. The events then pass or
 * fail by one table lookup per filter. Semantics match the raw-events SQL (server/analytics/event-filter-sql.ts):
 * missing (null or "") never equals, contains or is in anything; neq and not_contains keep it; is_set is not missing.
 */
import { type AnalyticsFilter, type CohortFilter, isCohortFilter } from "../../../shared/analytics.ts";
import { COHORT_DIMENSION } from "../../../shared/cohort-constants.ts";
import { PROPERTY_PREFIX } from "../../../shared/dimensions.ts";
import { cohortMembersOf } from "../cohort-filter-members.ts";
import { type Column, DICTIONARY, NUMBERS_I32 } from "./column-codec.ts";
import { propertyColumn, USER_COLUMN } from "./segment-layout.ts";

/** The filter contract of shared/analytics.ts. */
export type EngineFilter = AnalyticsFilter;

/** The segment column a dimension reads (a cohort filter reads the events' user nums). */
export function columnNameOf(dimension: string): string {
  if (dimension === COHORT_DIMENSION) return USER_COLUMN;
  return dimension.startsWith(PROPERTY_PREFIX) ? propertyColumn(dimension.slice(PROPERTY_PREFIX.length)) : dimension;
}

const lowered = new WeakMap<Column, string[]>();
function lowerEntries(column: Extract<Column, { kind: typeof DICTIONARY }>): string[] {
  let lower = lowered.get(column);
  if (!lower) {
    lower = column.entries.map((e) => e.toLowerCase());
    lowered.set(column, lower);
  }
  return lower;
}

/**
 * Code -> 1 (keep) or 0, for one filter on one segment's column (ABSENT: every event misses the value). The table
 * has one slot per code, code 0 being "missing".
 */
export function acceptTable(filter: Exclude<EngineFilter, CohortFilter>, column: Column | null): Uint8Array {
  if (column !== null && column.kind !== DICTIONARY) throw new Error(`filter on a non-dictionary column`);
  const entries = column?.entries ?? [];
  const table = new Uint8Array(entries.length + 1);
  const keepMissing = filter.op === "neq" || filter.op === "not_contains" || filter.op === "not_set";
  table[0] = keepMissing ? 1 : 0;
  switch (filter.op) {
    case "eq":
    case "neq": {
      const hit = entries.indexOf(filter.value);
      if (filter.op === "neq") table.fill(1, 1);
      if (hit >= 0) table[hit + 1] = filter.op === "eq" ? 1 : 0;
      break;
    }
    case "contains":
    case "not_contains": {
      if (!column) break;
      const needle = filter.value.toLowerCase();
      const lower = lowerEntries(column);
      const keep = filter.op === "contains" ? 1 : 0;
      for (let i = 0; i < lower.length; i++) table[i + 1] = lower[i]!.includes(needle) ? keep : 1 - keep;
      break;
    }
    case "is_set":
      table.fill(1, 1);
      break;
    case "not_set":
      break;
    case "in": {
      const wanted = new Set(filter.values);
      for (let i = 0; i < entries.length; i++) if (wanted.has(entries[i]!)) table[i + 1] = 1;
      break;
    }
    default:
      throw new Error(`unknown filter op ${(filter as { op: string }).op}`);
  }
  return table;
}

/** Accept tables already computed, per column and filter: warm reads skip the dictionary work. */
const tables = new WeakMap<Column, Map<string, Uint8Array>>();

function cachedAcceptTable(filter: Exclude<EngineFilter, CohortFilter>, column: Column | null): Uint8Array {
  if (column === null) return acceptTable(filter, null);
  let byFilter = tables.get(column);
  if (!byFilter) {
    byFilter = new Map();
    tables.set(column, byFilter);
  }
  const key = JSON.stringify([filter.op, "value" in filter ? filter.value : "values" in filter ? filter.values : null]);
  let table = byFilter.get(key);
  if (!table) {
    table = acceptTable(filter, column);
    byFilter.set(key, table);
  }
  return table;
}

/**
 * Which events of slots [lo, hi) pass every filter, as a byte mask indexed from lo; null when there is no filter
 * (all pass). `columns[i]` is filter i's column in this segment. Filters on the same column are first combined into
 * one accept table (20 `neq` on paths are one pass over the events, not 20). The mask may be shared with other
 * reads (a lone cohort filter's is a view of memberSlots): read it, never write to it.
 */
export function filterMask(
  filters: readonly EngineFilter[],
  columns: ReadonlyArray<Column | null>,
  lo: number,
  hi: number,
): Uint8Array | null {
  if (filters.length === 0) return null;
  if (filters.length === 1 && isCohortFilter(filters[0]!)) {
    return memberSlots(filters[0], columns[0] ?? null).subarray(lo, hi);
  }
  const mask = new Uint8Array(Math.max(0, hi - lo));
  const combined = new Map<Column | null, Uint8Array>();
  const cohorts: number[] = [];
  for (let f = 0; f < filters.length; f++) {
    const filter = filters[f]!;
    if (isCohortFilter(filter)) {
      cohorts.push(f);
      continue;
    }
    const column = columns[f] ?? null;
    const table = cachedAcceptTable(filter, column);
    const sofar = combined.get(column);
    if (!sofar) combined.set(column, table);
    else {
      const both = sofar.slice();
      for (let code = 0; code < both.length; code++) both[code]! &= table[code]!;
      combined.set(column, both);
    }
  }
  let first = true;
  for (const [column, table] of combined) {
    let ones = 0;
    for (let code = 0; code < table.length; code++) ones += table[code]!;
    if (ones === table.length) continue; // keeps every event of this segment
    if (column === null || ones === 0) {
      // Every event here misses the value (or no value passes): all or none, decided by code 0.
      if (table[0] === 1) continue;
      mask.fill(0);
      return mask;
    }
    const codes = (column as Extract<Column, { kind: typeof DICTIONARY }>).codes;
    if (first) {
      for (let i = lo; i < hi; i++) mask[i - lo] = table[codes[i]!]!;
      first = false;
    } else {
      for (let i = lo; i < hi; i++) mask[i - lo]! &= table[codes[i]!]!;
    }
  }
  if (first) mask.fill(1);
  for (const f of cohorts) applyCohortFilter(filters[f] as CohortFilter, columns[f] ?? null, mask, lo, hi);
  return mask;
}

/** Accept tables of path patterns, per column and pattern source (as for filters). */
const patternTables = new WeakMap<Column, Map<string, Uint8Array>>();

/**
 * Which events of slots [lo, hi) have a value of `column` that `pattern` matches whole (a goal's path pattern,
 * shared/goals.ts), as a byte mask indexed from lo. Missing values (code 0, or no column) never match. The pattern
 * is tested once per dictionary entry, then each event is one lookup, as for filters.
 */
export function patternMask(pattern: RegExp, column: Column | null, lo: number, hi: number): Uint8Array {
  const mask = new Uint8Array(Math.max(0, hi - lo));
  if (column === null) return mask;
  if (column.kind !== DICTIONARY) throw new Error("pattern on a non-dictionary column");
  let byPattern = patternTables.get(column);
  if (!byPattern) {
    byPattern = new Map();
    patternTables.set(column, byPattern);
  }
  let table = byPattern.get(pattern.source);
  if (!table) {
    table = new Uint8Array(column.entries.length + 1);
    for (let i = 0; i < column.entries.length; i++) table[i + 1] = pattern.test(column.entries[i]!) ? 1 : 0;
    byPattern.set(pattern.source, table);
  }
  const codes = column.codes;
  for (let i = lo; i < hi; i++) mask[i - lo] = table[codes[i]!]!;
  return mask;
}

/**
 * Per member set (the array attached to a cohort filter) and segment user column: each slot's byte, 1 when the
 * filter keeps the event (its user is, for `in`, or is not, for `not_in`, a member). Computed once per segment and
 * kept as long as both arrays live, so the reads of one call (overview reads the totals, the top event and the visits)
 * and the calls sharing a member set (resolve-cohort-filters.ts) test each event with one byte, not a lookup by user.
 * One byte per event of the segments it was applied to.
 */
const slotsByMembers = new WeakMap<
  Uint8Array,
  { in: WeakMap<Int32Array, Uint8Array>; not_in: WeakMap<Int32Array, Uint8Array> }
>();

function memberSlots(filter: CohortFilter, column: Column | null): Uint8Array {
  if (column === null || column.kind !== NUMBERS_I32)
    throw new Error(`a cohort filter reads the ${USER_COLUMN} column`);
  const users = column.values;
  const members = cohortMembersOf(filter);
  let byOp = slotsByMembers.get(members);
  if (!byOp) {
    byOp = { in: new WeakMap(), not_in: new WeakMap() };
    slotsByMembers.set(members, byOp);
  }
  const byUsers = byOp[filter.op];
  let slots = byUsers.get(users);
  if (!slots) {
    slots = new Uint8Array(users.length);
    const size = members.length;
    const keepMembers = filter.op === "in" ? 1 : 0;
    for (let i = 0; i < users.length; i++) {
      const user = users[i]!;
      const member = user >= 0 && user < size ? members[user]! : 0;
      slots[i] = member === keepMembers ? 1 : 0;
    }
    byUsers.set(users, slots);
  }
  return slots;
}

/** ANDs a cohort filter into `mask` (memberSlots: one byte per event). */
function applyCohortFilter(filter: CohortFilter, column: Column | null, mask: Uint8Array, lo: number, hi: number) {
  const slots = memberSlots(filter, column);
  for (let i = lo; i < hi; i++) mask[i - lo]! &= slots[i]!;
}

/** Which users a list of cohort filters keeps: keep[num] per user num, `outside` for no user or a num past keep. */
export interface UserAcceptance {
  keep: Uint8Array;
  outside: number;
}

/**
 * When every filter is a cohort filter (they depend on the event's user alone), which users they keep, judged as
 * memberSlots judges each event; null when there is no filter or one reads another column. Lets a reader decide once
 * per user instead of once per event (visit-metrics.ts, over a segment's session-user pairs).
 */
export function userAcceptance(filters: readonly EngineFilter[], userSpace: number): UserAcceptance | null {
  if (filters.length === 0 || !filters.every(isCohortFilter)) return null;
  const cohorts = filters as readonly CohortFilter[];
  const length = Math.max(userSpace + 1, ...cohorts.map((filter) => cohortMembersOf(filter).length));
  const keep = new Uint8Array(length).fill(1);
  let outside = 1;
  for (const filter of cohorts) {
    const members = cohortMembersOf(filter);
    const wanted = filter.op === "in" ? 1 : 0;
    for (let num = 0; num < keep.length; num++) {
      const member = num < members.length ? members[num]! : 0;
      if (member !== wanted) keep[num] = 0;
    }
    // No user, or a num past the member set, is never a member: only `not_in` keeps it.
    if (wanted === 1) outside = 0;
  }
  return { keep, outside };
}
