/**
 * What the cohort evaluator (compute-cohort-members.ts) reads, shared by every call of the process: per event
 * condition (event, filters, window) the number of matching events of each user num in the window, and per trait
 * condition the persons whose trait matches. The cards of one dashboard load (overview, timeseries, breakdowns...:
 * separate tRPC calls of one batch, each resolving its cohort filters) then evaluate a cohort once between them.
 *
 * Exact, whatever arrives meanwhile, because a state is only reused under the same **data version**, read from the
 * database at each call (one small statement, so the API process of production sees the worker's writes):
 *   - the project's segment set, as (count, highest segment id): segments are immutable and their ids come from one
 *     sequence, so any added segment raises the highest id and a removal alone lowers the count. Every write that
 *     changes what a condition sees changes the segment set in the same transaction: stored events (with their trait
 *     changes and links, apply-rollups.ts), a person's deletion (its segments rewritten, its traits deleted), the
 *     compactor (new ids; a needless but harmless recount), a project's data deleted;
 *   - the counters: the highest user num (the size of the person space), the last link's seq, and the number of
 *     writes that deleted users rows (user-removals.ts).
 * A relative window ([at - D days, at)) moves with the call's time: a state at `at1` is carried to `at2` by
 * counting the events that enter ([at1, at2)) and leave ([at1 - D, at2 - D)) - two slivers, a few milliseconds -
 * instead of the whole window. When the version changed only by added segments (the worker stored events: every
 * segment of the state's version is still listed), the state is carried over too: its old segments slid as above,
 * the new segments' events in the window counted in full. So live ingest does not make each card count afresh;
 * any removal (compaction, a deletion) does. Counts are kept per user num, not per person, so the person map (links) is applied
 * when the evaluator combines them; that makes a state independent of links, but links are in the version anyway.
 *
 * The people the conditions range over are the **live** user nums (those with an analytics_users row), not every
 * num up to the highest: nums are never reused, so a person deleted (people.delete, retention) leaves its nums
 * handed out and without events or traits, and a concurrent insert can leave an unused num (a gap,
 * upsert-sessions-and-users.ts). Counting 1..userSpace made such a num satisfy "did not perform X", "at most 0",
 * "trait neq". The live set is one byte per num per project (liveUsers), read whole once, then grown by reading
 * only the nums handed out since (an index range of analytics_users_num_key), and read whole again only when the
 * user-removal counter moved: removals are rare, ingest is not, so a dashboard load reads nothing or a few rows.
 * A whole read took 0.3-0.4 s for 542,678 ids on the shared 2-core dev machine (55 runs back); it comes once per
 * process and project, and after a removal, which already makes every count state recount its window in full (see
 * above). Recording the deleted nums instead would miss the gaps, and its table would grow with every retention run.
 *
 * Held per QueryEngine (one per process and database), bounded: at most MAX_STATES states and MAX_LIVE_SETS live
 * sets in LRU order.
 */
import { sql } from "drizzle-orm";
import type { DimensionFilter } from "../../../shared/analytics.ts";
import type { CohortCondition, CohortWindow } from "../../../shared/cohorts.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { firstSlotAtOrAfter, slotsWithCodes } from "../engine/code-slots.ts";
import { DICTIONARY } from "../engine/column-codec.ts";
import { lowerBound } from "../engine/evaluate.ts";
import { filterMask } from "../engine/filter-masks.ts";
import type { QueryEngine } from "../engine/query-engine.ts";
import { LINK_KIND, USER_KIND, USER_REMOVAL_KIND } from "../rollup-layout.ts";

const DAY_MS = 86_400_000;
/**
 * States kept per process: each holds an Int32Array over the user num space (2.2 MB at the 10 M seed's 542,678 ids),
 * so 8 stay within about 20 MB there; enough for the conditions of the cohorts one dashboard filters by.
 */
const MAX_STATES = 8;
/** Live user sets kept per process: a byte per num (542 KB at the 10 M seed), one per project evaluated. */
const MAX_LIVE_SETS = 16;

/** Thrown while the engine does not serve the project (upgrade backfill running). */
export class CohortEngineUnavailableError extends Error {}

/** The data a cohort's answer depends on, as one comparable string; and the person space's size. */
export interface DataVersion {
  key: string;
  /** The project's segment ids. */
  segments: number[];
  /** Whether the engine serves the project (its upgrade backfill is done). */
  ready: boolean;
  /** The user-removal counter (USER_REMOVAL_KIND): moves whenever analytics_users rows are deleted. */
  removals: number;
}

/** The project's data version (see the header), in one round trip. */
export async function readDataVersion(db: Database, projectId: string): Promise<DataVersion> {
  const [row] = await queryRows<{
    status: string | null;
    counters: string | null;
    segments: string | null;
    ids: string | null;
  }>(
    db,
    sql`select
      (select status from analytics_engine_state where project_id = ${projectId}::uuid) as status,
      (select string_agg(kind || '=' || last_id, ',' order by kind) from analytics_id_counters
        where project_id = ${projectId}::uuid and kind in (${USER_KIND}::smallint, ${LINK_KIND}::smallint, ${USER_REMOVAL_KIND}::smallint)) as counters,
      (select count(*) || '/' || coalesce(max(segment_id), 0) from analytics_segments
        where project_id = ${projectId}::uuid) as segments,
      (select string_agg(segment_id::text, ',') from analytics_segments where project_id = ${projectId}::uuid) as ids`,
  );
  const status = row?.status ?? null;
  const removals = (row?.counters ?? "").split(",").find((pair) => pair.startsWith(`${USER_REMOVAL_KIND}=`));
  return {
    key: `${row?.segments ?? "0/0"};${row?.counters ?? ""}`,
    segments: row?.ids ? row.ids.split(",").map(Number) : [],
    ready: status === null || status === "ready",
    removals: removals ? Number(removals.slice(removals.indexOf("=") + 1)) : 0,
  };
}

/** [from, to) of a window at the evaluation instant. */
export function windowSpan(window: CohortWindow, at: number): { from: number; to: number } {
  if (window.kind === "relative") return { from: at - window.days * DAY_MS, to: at };
  return { from: Date.parse(window.from), to: Date.parse(window.to) };
}

/** What an event condition counts. */
export interface EventSpec {
  event: string;
  filters: readonly DimensionFilter[];
  window: CohortWindow;
}

interface CountState {
  kind: "counts";
  version: string;
  /** The segment ids of that version, and the user num space the counts cover. */
  segments: ReadonlySet<number>;
  userSpace: number;
  /** False once the version was found to have moved while counting (then not a base for slides or additions). */
  valid: boolean;
  /** For a relative window, the instant the counts hold at (a fixed range: any). */
  at: number;
  /** Per user num 0..userSpace: matching events in the window. Never changed once settled (slides copy it). */
  counts: Promise<Int32Array>;
}

interface TraitState {
  kind: "trait";
  version: string;
  nums: Promise<number[]>;
}

type State = CountState | TraitState;

/** A project's live user nums (see the header), as of `removals`, for nums 1..upTo. */
interface LiveSet {
  removals: number;
  upTo: number;
  live: Promise<Uint8Array>;
}

/** How many full window scans, slides and trait reads the process did (tests and the bench read them). */
export interface EvaluationCounters {
  scans: number;
  slides: number;
  /** States carried over added segments (a new version with nothing removed). */
  appends: number;
  traitReads: number;
  /** Live user sets read whole, and grown by the nums handed out since. */
  liveReads: number;
  liveGrowths: number;
}

export class CohortEvaluations {
  /** project id + condition key -> its states, most recently used last. */
  private readonly states = new Map<string, State[]>();
  private size = 0;
  /** project id -> its live user set, most recently used last. */
  private readonly liveSets = new Map<string, LiveSet>();
  readonly counters: EvaluationCounters = {
    scans: 0,
    slides: 0,
    appends: 0,
    traitReads: 0,
    liveReads: 0,
    liveGrowths: 0,
  };

  /**
   * A byte per user num 0..userSpace (at least): 1 when the num has an analytics_users row. `removals` is the
   * version's user-removal counter: while it stands, rows only ever appear (with new, higher nums), so a known set
   * is grown by the nums above it; when it moved, the set is read whole. Reads happen after the version was read, so
   * a set is at least as new as its label: a removal committed meanwhile moves the counter, and the next call reads
   * again.
   */
  liveUsers(db: Database, projectId: string, removals: number, userSpace: number): Promise<Uint8Array> {
    const known = this.liveSets.get(projectId);
    if (known && known.removals === removals && known.upTo >= userSpace) {
      this.liveSets.delete(projectId);
      this.liveSets.set(projectId, known);
      return known.live;
    }
    let live: Promise<Uint8Array>;
    if (known && known.removals === removals) {
      this.counters.liveGrowths++;
      const from = known.upTo;
      live = known.live.then(async (base) => {
        const grown = new Uint8Array(userSpace + 1);
        grown.set(base.subarray(0, Math.min(base.length, grown.length)));
        return markLiveNums(grown, await readLiveRuns(db, projectId, from, userSpace));
      });
    } else {
      this.counters.liveReads++;
      live = readLiveRuns(db, projectId, 0, userSpace).then((runs) =>
        markLiveNums(new Uint8Array(userSpace + 1), runs),
      );
    }
    const set: LiveSet = { removals, upTo: userSpace, live };
    // A call that read an older version keeps the newer set of another call.
    if (!known || removals >= known.removals) {
      this.liveSets.delete(projectId);
      this.liveSets.set(projectId, set);
      if (this.liveSets.size > MAX_LIVE_SETS) this.liveSets.delete(this.liveSets.keys().next().value!);
      live.catch(() => {
        if (this.liveSets.get(projectId) === set) this.liveSets.delete(projectId);
      });
    }
    return live;
  }

  /** Matching events per user num (0..userSpace) in the window at `at`, under `version`. */
  eventCounts(
    db: Database,
    engine: QueryEngine,
    projectId: string,
    dataVersion: { key: string; segments: readonly number[] },
    userSpace: number,
    spec: EventSpec,
    at: number,
  ): Promise<Int32Array> {
    const version = `${dataVersion.key};${userSpace}`;
    const key = `${projectId}\u0000${JSON.stringify([spec.event, spec.filters, spec.window])}`;
    const list = this.states.get(key) ?? [];
    const relative = spec.window.kind === "relative";
    const days = spec.window.kind === "relative" ? spec.window.days : 0;
    const near = (state: CountState) => !relative || Math.abs(state.at - at) < (days * DAY_MS) / 4;
    const segments = new Set(dataVersion.segments);
    let best: CountState | null = null;
    let older: CountState | null = null;
    for (const state of list) {
      if (state.kind !== "counts") continue;
      if (state.version !== version) {
        // An older version whose segments are all still there: only segments were added since.
        const appended =
          state.userSpace <= userSpace && near(state) && [...state.segments].every((id) => segments.has(id));
        if (appended) older = state;
        continue;
      }
      if (!relative || state.at === at) return this.use(key, state).counts;
      // Slide from the nearest instant when the slivers are much smaller than the window.
      if (near(state) && (!best || Math.abs(state.at - at) < Math.abs(best.at - at))) best = state;
    }
    const full = () => {
      this.counters.scans++;
      return countWindow(db, engine, projectId, userSpace, spec, windowSpan(spec.window, at), 1, null);
    };
    let counts: Promise<Int32Array>;
    if (best) {
      const from = best;
      this.counters.slides++;
      counts = from.counts.then((base) =>
        from.valid ? slide(db, engine, projectId, userSpace, spec, base, from.at, at, null) : full(),
      );
    } else if (older) {
      const from = older;
      this.counters.appends++;
      counts = from.counts.then(async (base) => {
        if (!from.valid) return full();
        const grown = new Int32Array(userSpace + 1);
        grown.set(base);
        const slid = relative
          ? await slide(db, engine, projectId, userSpace, spec, grown, from.at, at, from.segments)
          : grown;
        const added = (id: number) => segments.has(id) && !from.segments.has(id);
        return countWindow(db, engine, projectId, userSpace, spec, windowSpan(spec.window, at), 1, slid, added);
      });
    } else {
      counts = full();
    }
    // Kept only if the version did not move while counting: then the counts hold exactly that version's segments
    // (a state must, for the added-segments step above to count each event once). Otherwise this call uses them
    // (its reads overlapped the write) and the next call counts again.
    const checked = counts.then(async (result) => {
      if ((await readDataVersion(db, projectId)).key !== dataVersion.key) {
        state.valid = false;
        this.drop(key, state);
      }
      return result;
    });
    const state: CountState = { kind: "counts", version, segments, userSpace, valid: true, at, counts: checked };
    this.add(key, state);
    checked.catch(() => {
      state.valid = false;
      this.drop(key, state);
    });
    return checked;
  }

  /** Person nums (as stored, before the person map) whose trait matches (for neq: equals). */
  traitNums(
    db: Database,
    projectId: string,
    version: string,
    condition: Extract<CohortCondition, { type: "trait" }>,
  ): Promise<number[]> {
    const key = `${projectId}\u0000${JSON.stringify(["trait", condition.key, condition.op, condition.value ?? null])}`;
    for (const state of this.states.get(key) ?? []) {
      if (state.kind === "trait" && state.version === version) return this.use(key, state).nums;
    }
    this.counters.traitReads++;
    const nums = readTraitNums(db, projectId, condition);
    const state: TraitState = { kind: "trait", version, nums };
    this.add(key, state);
    nums.catch(() => this.drop(key, state));
    return nums;
  }

  /** Forgets every state (benches time a full evaluation with it). */
  clear(): void {
    this.states.clear();
    this.liveSets.clear();
    this.size = 0;
  }

  private use<T extends State>(key: string, state: T): T {
    // Most recently used last, across the map too (Map iteration order is insertion order).
    const list = this.states.get(key)!;
    this.states.delete(key);
    list.splice(list.indexOf(state), 1);
    list.push(state);
    this.states.set(key, list);
    return state;
  }

  private add(key: string, state: State): void {
    const list = this.states.get(key) ?? [];
    // States of an older version are never used again.
    const kept = list.filter((old) => old.version === state.version);
    this.size -= list.length - kept.length;
    kept.push(state);
    this.states.delete(key);
    this.states.set(key, kept);
    this.size++;
    for (const [oldKey, oldList] of this.states) {
      if (this.size <= MAX_STATES) break;
      oldList.shift();
      this.size--;
      if (oldList.length === 0) this.states.delete(oldKey);
    }
  }

  private drop(key: string, state: State): void {
    const list = this.states.get(key);
    const index = list?.indexOf(state) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    this.size--;
    if (list.length === 0) this.states.delete(key);
  }
}

const perEngine = new WeakMap<QueryEngine, CohortEvaluations>();

/** The process's shared evaluations for this engine (one per process and database). */
export function cohortEvaluationsOf(engine: QueryEngine): CohortEvaluations {
  let evaluations = perEngine.get(engine);
  if (!evaluations) {
    evaluations = new CohortEvaluations();
    perEngine.set(engine, evaluations);
  }
  return evaluations;
}

/** `base` (counts at `from`) carried to `to`: events entering the window added, events leaving it taken out. */
async function slide(
  db: Database,
  engine: QueryEngine,
  projectId: string,
  userSpace: number,
  spec: EventSpec,
  base: Int32Array,
  from: number,
  to: number,
  only: ReadonlySet<number> | null,
): Promise<Int32Array> {
  const counts = base.slice();
  const keep = only === null ? null : (id: number) => only.has(id);
  const length = windowSpan(spec.window, 0).to - windowSpan(spec.window, 0).from;
  const [early, late] = from < to ? [from, to] : [to, from];
  const sign = from < to ? 1 : -1;
  // Later: [early, late) enters and [early - D, late - D) leaves; earlier: the reverse.
  await countWindow(db, engine, projectId, userSpace, spec, { from: early, to: late }, sign, counts, keep);
  await countWindow(
    db,
    engine,
    projectId,
    userSpace,
    spec,
    { from: early - length, to: late - length },
    -sign,
    counts,
    keep,
  );
  return counts;
}

/**
 * Adds `sign` per matching event in `span` to each user's count (a new array when `into` is null). Walks only the
 * slots holding the event's name (code-slots.ts, cached beside the column), testing the condition's other filters
 * on a mask of the window's slots; user nums above `userSpace` (first seen after the version was read) are left out.
 */
async function countWindow(
  db: Database,
  engine: QueryEngine,
  projectId: string,
  userSpace: number,
  spec: EventSpec,
  span: { from: number; to: number },
  sign: number,
  into: Int32Array | null,
  /** Count only the segments with these ids (null: all). */
  keep: ((segmentId: number) => boolean) | null = null,
): Promise<Int32Array> {
  const counts = into ?? new Int32Array(userSpace + 1);
  if (span.from >= span.to) return counts;
  const filters: DimensionFilter[] = [{ dimension: "event_name", op: "eq", value: spec.event }, ...spec.filters];
  const others = spec.filters;
  const counted = await engine.scan(db, projectId, span, filters, [], (segments) => {
    for (const segment of segments) {
      if (keep !== null && !keep(segment.info.id)) continue;
      const names = segment.filterColumns[0];
      if (!names || names.kind !== DICTIONARY) continue;
      const code = names.entries.indexOf(spec.event) + 1;
      if (code === 0) continue;
      const lo = lowerBound(segment.ts, span.from);
      const hi = lowerBound(segment.ts, span.to);
      if (lo >= hi) continue;
      const slots = slotsWithCodes(names.codes, [code]);
      const first = firstSlotAtOrAfter(slots, lo);
      const last = firstSlotAtOrAfter(slots, hi);
      if (first >= last) continue;
      const mask = others.length ? filterMask(others, segment.filterColumns.slice(1), lo, hi) : null;
      const users = segment.users!;
      for (let k = first; k < last; k++) {
        const slot = slots[k]!;
        if (mask !== null && mask[slot - lo] === 0) continue;
        const user = users[slot]!;
        if (user >= 0 && user <= userSpace) counts[user]! += sign;
      }
    }
    return true;
  });
  if (counted === null) throw new CohortEngineUnavailableError("the query engine does not serve this project yet");
  return counts;
}

async function readTraitNums(
  db: Database,
  projectId: string,
  condition: Extract<CohortCondition, { type: "trait" }>,
): Promise<number[]> {
  const text = sql`(t.value #>> '{}')`;
  const value = condition.value ?? "";
  const test =
    condition.op === "is_set"
      ? sql`coalesce(${text} <> '', false)`
      : condition.op === "contains"
        ? sql`strpos(lower(${text}), lower(${value}::text)) > 0`
        : sql`${text} = ${value}::text`;
  const rows = await queryRows<{ person_num: string | number }>(
    db,
    sql`select t.person_num from analytics_person_traits t
         where t.project_id = ${projectId}::uuid and t.key = ${condition.key}::text and not t.unset and ${test}`,
  );
  return rows.map((row) => Number(row.person_num));
}

/**
 * The user nums in (after, upTo] that have an analytics_users row, as runs of consecutive nums [first, last]: nums
 * are dense (gaps only where a person was removed or an insert lost a race), so a project of 542,678 ids comes back
 * as a handful of rows, counted on the server over analytics_users_num_key.
 */
async function readLiveRuns(
  db: Database,
  projectId: string,
  after: number,
  upTo: number,
): Promise<Array<{ first: number; last: number }>> {
  if (upTo <= after) return [];
  const rows = await queryRows<{ first: string | number; last: string | number }>(
    db,
    sql`select min(num) as first, max(num) as last
          from (select num, num - row_number() over (order by num) as run from analytics_users
                 where project_id = ${projectId}::uuid and num > ${after}::bigint and num <= ${upTo}::bigint) nums
         group by run`,
  );
  return rows.map((row) => ({ first: Number(row.first), last: Number(row.last) }));
}

function markLiveNums(set: Uint8Array, runs: ReadonlyArray<{ first: number; last: number }>): Uint8Array {
  for (const { first, last } of runs) set.fill(1, first, Math.min(last, set.length - 1) + 1);
  return set;
}
