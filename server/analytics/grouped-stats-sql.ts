/**
 * The one statement shape behind overview, timeseries, topEvents and breakdown: for numbered time ranges ("groups")
 * and one dimension, each value's event count, exact unique sessions and (optionally) exact unique users.
 *
 * Without filters it reads the rollups: every group is split into aligned buckets (days, hours, quarter hours for
 * the totals) and raw edges (at most one finest bucket at each end, see range-pieces.ts). Counts are sums. Session
 * and user sets of the buckets are ORed per chunk and counted with bit_count; sessions seen in the raw edges are
 * looked up by num and ORed in as one-bit chunks, so every session counts once per group however many buckets it
 * touched. Everything is aggregation over small inputs: no join between sets, one round trip. With filters (or a property dimension) the same rows come from raw events with COUNT
 * DISTINCT, which is exact by definition and slower on large ranges.
 *
 * Unique users count people, not ids (the README's identity section): an id linked to a person (analytics_person_links)
 * counts as that person, over any range, whether its events came before or after the link. On rollups the ORed user
 * set counts nums, and each person with k > 1 members in it takes k - 1 off (get_bit of each member's num: one probe
 * per link, never per event); with the engine's person map (`people`) the sets are instead returned and counted as
 * people in process (queryStatsRows), which at 125 k links is tens of ms against seconds. On raw events each alias's
 * distinct id is mapped to its person's before COUNT DISTINCT.
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter } from "../../shared/analytics.ts";
import type { Dimension } from "../../shared/dimensions.ts";
import { type Database, queryRows } from "../db/client.ts";
import { dimensionSql, filtersSql } from "./event-filter-sql.ts";
import { splitRange } from "./range-pieces.ts";
import { getRetentionState } from "./raw-data-from.ts";
import {
  ALL_DIMENSION,
  CHUNK_BITS,
  DIMENSION_SIZES,
  memberBitPositionSql,
  memberBitSql,
  memberChunkSql,
  ROLLUP_DIMENSIONS,
  TOTAL_SIZES,
  USER_DIMENSION_SIZES,
  USER_TOTAL_SIZES,
} from "./rollup-layout.ts";

export interface StatsGroup {
  g: number;
  from: number;
  to: number;
}

export interface GroupedStatsOptions {
  projectId: string;
  groups: readonly StatsGroup[];
  /** 'all' for totals (value ''), or the dimension to group by. */
  dimension: typeof ALL_DIMENSION | Dimension;
  withUsers: boolean;
  filters?: readonly AnalyticsFilter[] | undefined;
  /**
   * The project's person map (user num -> person num, the query engine's: QueryEngine.personSpace), when known. On
   * rollups, unique users are then counted in process from the ORed user sets (queryStatsRows), one array lookup per
   * member, instead of by the statement's per-link correction, which probes every link against every set of its
   * chunk: at 125 k links (10 M events) that was 0.3-2 s of a topEvents read, the sets themselves 50 ms.
   */
  people?: Int32Array | undefined;
  /**
   * Read user sets from here on (ms, a UTC day start): a project's rawDataFrom when it does not keep aggregates past
   * retention. Its removal drops the user-set rows of buckets that end by the horizon, so the week straddling it
   * stays, holding people whose events are gone; from here, that week is read as days (set by queryStatsRows).
   */
  userSetsFrom?: number | undefined;
}

/** Row shape of the statement: g, value, events, sessions, users (counts as bigint), user_sets. */
export interface GroupedStatsRow extends Record<string, unknown> {
  g: number;
  value: string;
  events: string | number;
  sessions: string | number;
  users: string | number;
  /**
   * With `people` on rollups: the row's ORed user sets as one bytea, per chunk int4 chunk, int4 bit length, the bits
   * (int4send || varbit_send), that queryStatsRows counts as people and adds to `users`; null otherwise. Composed
   * statements must pass it through.
   */
  user_sets: Uint8Array | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Most range scans one raw-events read makes; beyond it the nearest scans are merged (see rawEventsSql). */
export const MAX_RAW_SCANS = 8;

/**
 * Raw events of numbered, non-overlapping intervals, as at most MAX_RAW_SCANS range scans whatever their number:
 * adjacent intervals (a timeseries' buckets, overview's two periods) are one scan, and each row finds its interval
 * with width_bucket over the scan's interval starts, passed as one array parameter. So the statement's text does
 * not grow with the range: one branch per bucket made a 42-day hourly series 1,008 branches, which PostgreSQL sent
 * into JIT compilation that no cancel could stop. Each scan's bounds are bound parameters in the predicate itself
 * (not a joined list) so the planner sees the actual range and estimates rows from its statistics: with a joined
 * list it guessed millions of rows and picked hash joins over whole tables. Where scans must be merged, the events
 * of the gap between them are read and dropped (their slot maps to a null group).
 */
export function rawEventsSql(
  projectId: string,
  intervals: ReadonlyArray<{ g: number; a: number; b: number }>,
  columns: SQL,
  where: SQL,
): SQL {
  const sorted = intervals.filter(({ a, b }) => a < b).sort((x, y) => x.a - y.a);
  if (sorted.length === 0) return sql`select null::int as g, ${columns} from events e where false`;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.a < sorted[i - 1]!.b) throw new Error("rawEventsSql: intervals overlap");
  }
  // Split at the widest gaps only, so the scans that remain read as few extra events as possible.
  const gaps = sorted
    .map((interval, i) => ({ i, size: i === 0 ? 0 : interval.a - sorted[i - 1]!.b }))
    .filter(({ size }) => size > 0)
    .sort((x, y) => y.size - x.size)
    .slice(0, MAX_RAW_SCANS - 1);
  const cuts = new Set(gaps.map(({ i }) => i));
  const scans: Array<typeof sorted> = [];
  sorted.forEach((interval, i) => {
    if (i === 0 || cuts.has(i)) scans.push([interval]);
    else scans.at(-1)!.push(interval);
  });
  return sql.join(
    scans.map((scan) => {
      const starts: string[] = [];
      const groups: string[] = [];
      scan.forEach((interval, i) => {
        starts.push(iso(interval.a));
        groups.push(String(interval.g));
        const next = scan[i + 1];
        if (next && next.a > interval.b) {
          starts.push(iso(interval.b));
          groups.push("NULL");
        }
      });
      const a = scan[0]!.a;
      const b = scan.at(-1)!.b;
      const g =
        scan.length === 1
          ? sql`${scan[0]!.g}::int`
          : sql`(${`{${groups.join(",")}}`}::int[])[width_bucket(e.timestamp, ${`{${starts.join(",")}}`}::timestamptz[])]`;
      const inGroup = groups.includes("NULL") ? sql` and ${g} is not null` : sql``;
      return sql`select ${g} as g, ${columns} from events e
        where e.project_id = ${projectId}::uuid and e.timestamp >= ${iso(a)}::timestamptz and e.timestamp < ${iso(b)}::timestamptz
          and ${where}${inGroup}`;
    }),
    sql` union all `,
  );
}

/** A SELECT returning one GroupedStatsRow per (group, value) that has events. */
export function groupedStatsSql(options: GroupedStatsOptions): SQL {
  return statsSqlOf(options, rollupPlan(options));
}

function statsSqlOf(options: GroupedStatsOptions, plan: RollupPlan | null): SQL {
  return plan ? rollupStatsSql(plan.options, plan.only) : rawStatsSql(options);
}

type RollupPlan = { options: GroupedStatsOptions; only: { value: string; asTotals: boolean } | null };

/**
 * How the rollups serve these options, or null when only raw events can. One "equals" filter on a rolled-up
 * dimension is a single value of that dimension's rollups: the totals of `path = /pricing` are the path rollups of
 * '/pricing'. It serves totals (unless unique users are asked for and the dimension keeps no user sets) and a
 * breakdown by the filtered dimension itself.
 */
function rollupPlan(options: GroupedStatsOptions): RollupPlan | null {
  const rolledUp = options.dimension === ALL_DIMENSION || options.dimension in ROLLUP_DIMENSIONS;
  if (!rolledUp) return null;
  if (!options.filters?.length) return { options, only: null };
  const [filter] = options.filters;
  if (options.filters.length === 1 && filter!.op === "eq" && filter!.dimension in ROLLUP_DIMENSIONS) {
    const totals = options.dimension === ALL_DIMENSION;
    const usersKept = !options.withUsers || filter!.dimension === "event_name";
    if ((totals && usersKept) || options.dimension === filter!.dimension) {
      return {
        options: { ...options, dimension: filter!.dimension },
        only: { value: filter!.value, asTotals: totals },
      };
    }
  }
  return null;
}

/**
 * Runs the statement `compose` makes of the parts' groupedStatsSql (by default the one part alone), so the choice
 * below is made from the very parts the statement holds, each planned once. When every part reads rollups it runs
 * without parallel workers: its raw reads are the few thousand events at the edges of a range, and starting
 * workers for them made overview 180-200 ms instead of 42-58 ms on 10 M events (scripts/explain-analytics.ts,
 * 2-core machine). Raw-event statements keep them: a filtered 24-hour scan took 700 ms with workers and 1,070 ms
 * without.
 */
export async function queryStatsRows(
  db: Database,
  parts: readonly GroupedStatsOptions[],
  compose: (parts: SQL[]) => SQL = ([only]) => only!,
): Promise<GroupedStatsRow[]> {
  parts = await withUserSetsFrom(db, parts);
  const plans = parts.map(rollupPlan);
  const statement = compose(parts.map((part, i) => statsSqlOf(part, plans[i] ?? null)));
  const rows = plans.every((plan) => plan !== null)
    ? await db.transaction(async (tx) => {
        await tx.execute(sql`set local max_parallel_workers_per_gather = 0`);
        return queryRows<GroupedStatsRow>(tx, statement);
      })
    : await queryRows<GroupedStatsRow>(db, statement);
  const people = parts.find((part) => part.people)?.people;
  if (people) {
    for (const row of rows) {
      if (row.user_sets) row.users = Number(row.users) + countPeople(row.user_sets, people);
    }
  }
  return rows;
}

/** The parts reading user sets, with userSetsFrom when their project's old rollups are removed by its retention. */
async function withUserSetsFrom(
  db: Database,
  parts: readonly GroupedStatsOptions[],
): Promise<readonly GroupedStatsOptions[]> {
  const first = parts.find((part) => part.withUsers);
  if (!first) return parts;
  const retention = await getRetentionState(db, first.projectId);
  if (retention.from === null || retention.keepAggregates) return parts;
  return parts.map((part) => (part.withUsers ? { ...part, userSetsFrom: retention.from ?? undefined } : part));
}

/** Stamp array of countPeople, reused across calls (the counting is synchronous); tags only grow. */
const stamps = { tag: 0, of: new Int32Array(0) };

/**
 * The distinct people among the members of `sets` (GroupedStatsRow.user_sets): each set bit is a user num, counted
 * as its person (`personOf`; a num past the map is a user newer than it, its own person). Bit 0 is the leftmost
 * (rollup-layout.ts).
 */
export function countPeople(sets: Uint8Array, personOf: Int32Array): number {
  const view = new DataView(sets.buffer, sets.byteOffset, sets.byteLength);
  let largest = personOf.length;
  for (let at = 0; at < sets.byteLength; at += 8 + Math.ceil(view.getInt32(at + 4) / 8)) {
    largest = Math.max(largest, (view.getInt32(at) + 1) * CHUNK_BITS);
  }
  if (stamps.of.length < largest) stamps.of = new Int32Array(Math.ceil(largest * 1.25));
  if (stamps.tag >= 2 ** 31 - 2) {
    stamps.of.fill(0);
    stamps.tag = 0;
  }
  const tag = ++stamps.tag;
  const stamp = stamps.of;
  const mapped = personOf.length;
  let people = 0;
  for (let at = 0; at < sets.byteLength; ) {
    const base = view.getInt32(at) * CHUNK_BITS;
    const bytes = Math.ceil(view.getInt32(at + 4) / 8);
    at += 8;
    for (let i = 0; i < bytes; i++) {
      const byte = sets[at + i]!;
      if (byte === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        if ((byte & (0x80 >> bit)) === 0) continue;
        const num = base + i * 8 + bit;
        const person = num < mapped ? personOf[num]! : num;
        if (stamp[person] !== tag) {
          stamp[person] = tag;
          people++;
        }
      }
    }
    at += bytes;
  }
  return people;
}

function rawStatsSql({ projectId, groups, dimension, withUsers, filters }: GroupedStatsOptions): SQL {
  const value = dimension === ALL_DIMENSION ? sql`''::text` : dimensionSql(dimension);
  const valueFilter = dimension === ALL_DIMENSION ? sql`true` : sql`${value} is not null and ${value} <> ''`;
  // People, not ids: an alias counts as its person's canonical id (the map is small: one row per link).
  const users = withUsers ? sql`count(distinct coalesce(person_of.person, matching.distinct_id))` : sql`0`;
  const people = withUsers
    ? sql` left join (${personOfSql(projectId)}) person_of on person_of.alias = matching.distinct_id`
    : sql``;
  const matching = rawEventsSql(
    projectId,
    groups.map(({ g, from, to }) => ({ g, a: from, b: to })),
    sql`${value} as value, nullif(e.session_id, '') as session_id, nullif(e.distinct_id, '') as distinct_id`,
    sql`${filtersSql(filters)} and ${valueFilter}`,
  );
  return sql`
    select g, value, count(*)::bigint as events, count(distinct session_id)::bigint as sessions, ${users}::bigint as users,
           null::bytea as user_sets
      from (${matching}) matching${people}
     group by g, value`;
}

/** Every alias of the project by distinct id, with its person's canonical distinct id (analytics_person_links). */
export function personOfSql(projectId: string): SQL {
  return sql`select a.distinct_id as alias, p.distinct_id as person
      from analytics_person_links l
      join analytics_users a on a.project_id = l.project_id and a.num = l.alias_num
      join analytics_users p on p.project_id = l.project_id and p.num = l.person_num
     where l.project_id = ${projectId}::uuid`;
}

/**
 * The project's link members: every alias num and every person's own num, each with its person num. A person's
 * members present in a set are counted once in all: bit_count counts each of them, so the excess is subtracted.
 */
export function linkMembersSql(projectId: string): SQL {
  return sql`select l.alias_num as num, l.person_num from analytics_person_links l where l.project_id = ${projectId}::uuid
      union all
      select distinct l.person_num, l.person_num from analytics_person_links l where l.project_id = ${projectId}::uuid`;
}

interface BucketRun {
  g: number;
  size: number;
  /** First bucket's start and the last one's end, in ms. */
  from: number;
  to: number;
}

/**
 * A group's pieces as runs of adjacent buckets of one size (splitRange yields at most two runs per size). User sets
 * are read run by run with the bounds in the predicate: a 7-day topEvents reads ~18,000 user-set rows, and joined
 * to a list of buckets the planner expected a few hundred, sorted them for the aggregate and spilled 10 MB to disk
 * (45 of its 53 ms); with ranges it sees the real count and aggregates by hash.
 */
function bucketRuns(g: number, pieces: ReadonlyArray<{ size: number; bucket: number }>): BucketRun[] {
  const runs: BucketRun[] = [];
  for (const { size, bucket } of pieces) {
    const last = runs.at(-1);
    if (last && last.size === size && last.to === bucket) last.to = bucket + size * 60_000;
    else runs.push({ g, size, from: bucket, to: bucket + size * 60_000 });
  }
  return runs;
}

/** `only`: read just this value of the dimension; with `asTotals`, report it as the totals row (value ''). */
function rollupStatsSql(
  { projectId, groups, dimension, withUsers, people, userSetsFrom }: GroupedStatsOptions,
  only: { value: string; asTotals: boolean } | null,
): SQL {
  const sizes = dimension === ALL_DIMENSION ? TOTAL_SIZES : DIMENSION_SIZES;
  const userSizes = dimension === ALL_DIMENSION ? USER_TOTAL_SIZES : USER_DIMENSION_SIZES;
  const pieces: Array<{ g: number; s: number; b: string }> = [];
  const userRuns: BucketRun[] = [];
  const raw: Array<{ g: number; a: number; b: number }> = [];
  for (const group of groups) {
    const split = splitRange(group.from, group.to, sizes);
    for (const piece of split.pieces) pieces.push({ g: group.g, s: piece.size, b: iso(piece.bucket) });
    for (const [a, b] of split.raw) raw.push({ g: group.g, a, b });
    // Same finest size, so the same raw edges; weeks only replace runs of days in the middle.
    if (withUsers) {
      const start = Math.max(group.from, userSetsFrom ?? group.from);
      if (start < group.to) userRuns.push(...bucketRuns(group.g, splitRange(start, group.to, userSizes).pieces));
    }
  }
  const column = dimension === ALL_DIMENSION ? sql`''::text` : dimensionSql(dimension);
  const value = only?.asTotals ? sql`''::text` : column;
  const valueFilter = only
    ? sql`${column} = ${only.value}::text`
    : dimension === ALL_DIMENSION
      ? sql`true`
      : sql`${column} is not null and ${column} <> ''`;
  // Rollup rows of the one value asked for, or of every value; reported under `value` like the raw rows.
  const rolledValue = only?.asTotals ? sql`''::text` : sql`r.value`;
  const rolledFilter = only ? sql`r.value = ${only.value}::text` : sql`true`;
  // A raw member as a one-bit chunk, so raw edges and rollups merge by plain aggregation (no join on chunks).
  const memberBit = memberBitSql;
  const memberChunk = memberChunkSql;
  const usersCtes = withUsers
    ? sql`,
    raw_users as materialized (
      select x.g, x.value, u.num
        from (select distinct g, value, distinct_id from raw_events where distinct_id is not null) x
        left join analytics_users u on u.project_id = ${projectId}::uuid and u.distinct_id = x.distinct_id
    ),
    user_sets as (
      select g, value, chunk, bit_or(bits) as bits
        from (
          ${sql.join(
            [
              sql`select g, value, ${memberChunk(sql`num`)} as chunk, ${memberBit(sql`num`)} as bits from raw_users where num is not null`,
              ...userRuns.map(
                (run) => sql`select ${run.g}::int, ${rolledValue}, r.chunk, r.users
                  from analytics_user_rollups r
                 where r.project_id = ${projectId}::uuid and r.dimension = ${dimension}::text and r.size = ${run.size}::smallint
                   and r.bucket >= ${iso(run.from)}::timestamptz and r.bucket < ${iso(run.to)}::timestamptz and ${rolledFilter}`,
              ),
            ],
            sql` union all `,
          )}
        ) members
       group by g, value, chunk
    ),
    ${
      people
        ? sql`user_people as materialized (
      select g, value, string_agg(int4send(chunk) || varbit_send(bits), ''::bytea) as user_sets
        from user_sets
       group by g, value
    )`
        : sql`link_members as materialized (${linkMembersSql(projectId)}),
    -- People, not ids: a person whose k members (canonical id and aliases) are in a group's set counts k - 1 too many.
    link_excess as (
      select s.g, s.value, count(*) - 1 as excess
        from user_sets s
        join link_members m on s.chunk = ${memberChunk(sql`m.num`)} and get_bit(s.bits, ${memberBitPositionSql(sql`m.num`)}) = 1
       group by s.g, s.value, m.person_num
    )`
    }`
    : sql``;
  // With the person map, the statement counts only the raw users lacking a num (no link can name them); the sets'
  // people are counted by queryStatsRows.
  const usersParts = withUsers
    ? sql`
        union all
        select g, value, 0, 0, count(*) from raw_users where num is null group by g, value${
          people
            ? sql``
            : sql`
        union all
        select g, value, 0, 0, bit_count(bits) from user_sets
        union all
        select g, value, 0, 0, -sum(excess) from link_excess group by g, value`
        }`
    : sql``;
  const userSets =
    withUsers && people
      ? sql`(select up.user_sets from user_people up where up.g = grouped.g and up.value = grouped.value)`
      : sql`null::bytea`;
  return sql`
    with pieces as materialized (
      select g, s, b from jsonb_to_recordset(${JSON.stringify(pieces)}::jsonb) as x(g int, s smallint, b timestamptz)
    ),
    rolled as materialized (
      select p.g, ${rolledValue} as value, r.chunk, r.events, r.sessions
        from pieces p
        join analytics_rollups r
          on r.project_id = ${projectId}::uuid and r.dimension = ${dimension}::text and r.size = p.s and r.bucket = p.b
         and ${rolledFilter}
    ),
    raw_events as materialized (
      ${rawEventsSql(
        projectId,
        raw,
        sql`${value} as value, nullif(e.session_id, '') as session_id, nullif(e.distinct_id, '') as distinct_id`,
        valueFilter,
      )}
    ),
    raw_sessions as materialized (
      select x.g, x.value, s.num
        from (select distinct g, value, session_id from raw_events where session_id is not null) x
        left join analytics_sessions s on s.project_id = ${projectId}::uuid and s.session_id = x.session_id
    ),
    session_sets as (
      select g, value, chunk, bit_or(bits) as bits
        from (
          select g, value, chunk, sessions as bits from rolled where sessions is not null
          union all
          select g, value, ${memberChunk(sql`num`)}, ${memberBit(sql`num`)} from raw_sessions where num is not null
        ) members
       group by g, value, chunk
    )${usersCtes}
    select grouped.*, ${userSets} as user_sets from (
    select g, value, sum(events)::bigint as events, sum(sessions)::bigint as sessions, sum(users)::bigint as users
      from (
        select g, value, events, 0 as sessions, 0 as users from rolled
        union all
        select g, value, count(*), 0, 0 from raw_events group by g, value
        union all
        select g, value, 0, bit_count(bits), 0 from session_sets
        union all
        -- Sessions missing from analytics_sessions (events stored without applyRollups) still count, once each.
        select g, value, 0, count(*), 0 from raw_sessions where num is null group by g, value${usersParts}
      ) parts
     group by g, value) grouped`;
}
