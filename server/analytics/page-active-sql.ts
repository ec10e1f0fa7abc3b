/**
 * The statement behind analytics.sessions: one page of the sessions active in a range, with the total, in one round
 * trip. (analytics.users lists people, not ids: page-people-sql.ts, on the same principles.)
 *
 * "Active" is exact: without filters, a session is in the page only if its bit is set in the OR of the range's
 * rollup sets, or it appears in the raw edges (the same decomposition as grouped-stats-sql.ts, so `total` equals
 * overview's unique count). The listing walks the sessions table in page order over the rows whose
 * first/last seen overlap the range and keeps the active ones, so a page costs about offset + limit checks. With
 * filters, the active set is the distinct ids of the matching raw events.
 *
 * Keyset paging: `after` starts the listing just past a row, by the same total order as ORDER BY (sort key desc,
 * id asc), written as `key <= k and (key < k or id > i)` so the index range starts at the cursor. Each row carries
 * its exact sort key (`sort_key`, microseconds for last_seen: the ISO text is only millisecond precise) so a
 * cursor made from it resumes exactly there, ties included.
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnalyticsFilter, PageCursor } from "../../shared/analytics.ts";
import { filtersSql } from "./event-filter-sql.ts";
import { groupedStatsSql, rawEventsSql } from "./grouped-stats-sql.ts";
import { splitRange } from "./range-pieces.ts";
import { ALL_DIMENSION, memberBitPositionSql, memberChunkSql, TOTAL_SIZES } from "./rollup-layout.ts";

export interface PageActiveOptions {
  kind: "sessions";
  projectId: string;
  from: number;
  to: number;
  filters?: readonly AnalyticsFilter[] | undefined;
  limit: number;
  offset: number;
  after?: PageCursor | undefined;
  /**
   * The active set when the query engine computed it (filtered listings): the nums active in the range among the
   * matching events. The listing then walks the table in page order and keeps these, instead of reading raw events.
   */
  members?: ActiveMembers | undefined;
}

/** A set of nums for SQL: a bitmap for get_bit on bytea (bit n of byte n / 8, least significant first), or a list. */
export interface ActiveMembers {
  total: number;
  bitmap: Uint8Array;
  /** The nums themselves when few (an index lookup each beats testing every overlapping row). */
  nums: number[] | null;
}

/** Most nums passed as a list; more go as the bitmap. */
const MAX_LISTED_MEMBERS = 5_000;

/** ActiveMembers from the engine's byte-per-num set. */
export function activeMembers(set: Uint8Array): ActiveMembers {
  const bitmap = new Uint8Array((set.length + 7) >> 3);
  let total = 0;
  let nums: number[] | null = [];
  for (let num = 0; num < set.length; num++) {
    if (set[num] === 0) continue;
    bitmap[num >> 3]! |= 1 << (num & 7);
    total++;
    if (nums !== null) {
      nums.push(num);
      if (nums.length > MAX_LISTED_MEMBERS) nums = null;
    }
  }
  return { total, bitmap, nums };
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoText = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Rows: total, then the item columns (null when the page is empty; the single row still carries the total). */
export function pageActiveSql(options: PageActiveOptions): SQL {
  const { projectId, from, to, filters, limit, offset, after } = options;
  const table = sql`analytics_sessions`;
  const idColumn = sql`session_id`;
  const columns = sql`m.session_id as id, (extract(epoch from m.last_seen) * 1000000)::bigint::text as sort_key, m.distinct_id, m.event_count, ${isoText(sql`m.first_seen`)} as first_seen,
          ${isoText(sql`m.last_seen`)} as last_seen,
          floor(extract(epoch from (m.last_seen - m.first_seen)))::bigint as duration_seconds,
          m.entry_path, m.exit_path`;
  // Exactly the index's order (drizzle makes DESC indexes NULLS LAST), so a page is read in order and stops early.
  const order = sql`m.last_seen desc nulls last, m.session_id`;
  const afterKey = sql`(timestamptz 'epoch' + ${after?.key ?? "0"}::bigint * interval '1 microsecond')`;
  const sortColumn = sql`m.last_seen`;
  const keyset = after
    ? sql`${sortColumn} <= ${afterKey} and (${sortColumn} < ${afterKey} or m.${idColumn} > ${after.id}::text)`
    : sql`true`;

  if (options.members) {
    const { total, bitmap, nums } = options.members;
    const active =
      nums !== null
        ? sql`m.num = any(${`{${nums.join(",")}}`}::bigint[])`
        : sql`m.num < ${bitmap.length * 8} and get_bit(${Buffer.from(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength)}::bytea, m.num) = 1`;
    return sql`
      select ${total}::bigint as total, page.*
        from (select 1) as one
        left join lateral (
          select ${columns}
            from ${table} m
           where m.project_id = ${projectId}::uuid
             and m.last_seen >= ${iso(from)}::timestamptz and m.first_seen < ${iso(to)}::timestamptz
             and ${active} and ${keyset}
           order by ${order}
           limit ${limit} offset ${offset}
        ) page on true`;
  }

  if (filters?.length) {
    const eventColumn = sql`e.session_id`;
    const matching = rawEventsSql(
      projectId,
      [{ g: 0, a: from, b: to }],
      sql`${eventColumn} as id`,
      sql`${eventColumn} <> '' and ${filtersSql(filters)}`,
    );
    return sql`
      with matched as (select distinct id from (${matching}) matching)
      select (select count(*) from matched)::bigint as total, page.*
        from (select 1) as one
        left join lateral (
          select ${columns}
            from matched
            join ${table} m on m.project_id = ${projectId}::uuid and m.${idColumn} = matched.id
           where ${keyset}
           order by ${order}
           limit ${limit} offset ${offset}
        ) page on true`;
  }

  const split = splitRange(from, to, TOTAL_SIZES);
  const pieces = JSON.stringify(split.pieces.map((p) => ({ s: p.size, b: iso(p.bucket) })));
  const rollups = sql`analytics_rollups`;
  const bits = sql`r.sessions`;
  const eventColumn = sql`e.session_id`;
  const total = groupedStatsSql({
    projectId,
    groups: [{ g: 0, from, to }],
    dimension: ALL_DIMENSION,
    withUsers: false,
    filters,
  });
  return sql`
    with rolled as materialized (
      select r.chunk, bit_or(${bits}) as bits
        from jsonb_to_recordset(${pieces}::jsonb) as p(s smallint, b timestamptz)
        join ${rollups} r
          on r.project_id = ${projectId}::uuid and r.dimension = ${ALL_DIMENSION}::text and r.size = p.s
         and r.bucket = p.b and r.chunk >= 0
       group by r.chunk
    ),
    raw_nums as materialized (
      select m.num
        from (${rawEventsSql(
          projectId,
          split.raw.map(([a, b]) => ({ g: 0, a, b })),
          sql`${eventColumn} as id`,
          sql`true`,
        )}) raw
        join ${table} m on m.project_id = ${projectId}::uuid and m.${idColumn} = raw.id
    )
    select (select sessions from (${total}) t) as total, page.*
      from (select 1) as one
      left join lateral (
        select ${columns}
          from ${table} m
         where m.project_id = ${projectId}::uuid
           and m.last_seen >= ${iso(from)}::timestamptz and m.first_seen < ${iso(to)}::timestamptz
           and (exists (select 1 from rolled r
                         where r.chunk = ${memberChunkSql(sql`m.num`)} and get_bit(r.bits, ${memberBitPositionSql(sql`m.num`)}) = 1)
                or m.num in (select num from raw_nums))
           and ${keyset}
         order by ${order}
         limit ${limit} offset ${offset}
      ) page on true`;
}
