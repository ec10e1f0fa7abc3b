/**
 * The statement behind analytics.users: one page of the people active in a range, with the total, in one round trip.
 *
 * People, not ids: an id linked to a person (analytics_person_links) is listed as that person, under the person's
 * canonical (identified) id, with figures over all its ids: events summed, sessions distinct across them, first seen
 * the earliest, last seen the latest. A person is active when any of its ids is (the same test as the sessions
 * listing, page-active-sql.ts), and `total` is overview's uniqueUsers for the same range and filters.
 *
 * Cost: ids with no link (nearly all) are walked in the index's order and the walk stops after offset + limit active
 * rows, as before links existed; the people with links (one row per link, small beside the events) are all
 * aggregated and merged into the page by the same order: summed event count desc, canonical id asc. Keyset paging
 * (`after`) uses that order, so a cursor is the summed count and the canonical id.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PageCursor } from "../../shared/analytics.ts";
import { filtersSql } from "./event-filter-sql.ts";
import { groupedStatsSql, linkMembersSql, rawEventsSql } from "./grouped-stats-sql.ts";
import type { ActiveMembers, PageActiveOptions } from "./page-active-sql.ts";
import { splitRange } from "./range-pieces.ts";
import { ALL_DIMENSION, memberBitPositionSql, memberChunkSql, USER_TOTAL_SIZES } from "./rollup-layout.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const keysetSql = (after: PageCursor | undefined, count: SQL, id: SQL) =>
  after
    ? sql`${count} <= ${after.key}::bigint and (${count} < ${after.key}::bigint or ${id} > ${after.id}::text)`
    : sql`true`;
const isoText = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** What heavyPeopleSql needs beside the engine's active people (see there). */
export interface HeavyPeople {
  /** The last unlinked row's event count when the walk filled offset + limit rows, else null (every linked person). */
  floor: number | null;
  /** The people of more than two members (canonical id and aliases): few, taken whole. */
  large: number[];
}

/** Rows: total, then id, sort_key, event_count, session_count, first_seen, last_seen (null on an empty page). */
export function pagePeopleSql(options: Omit<PageActiveOptions, "kind"> & { heavy?: HeavyPeople | undefined }): SQL {
  const { projectId, from, to, filters, limit, offset, after } = options;
  const afterKey = sql`${after?.key ?? "0"}::bigint`;
  const keyset = (count: SQL, id: SQL) =>
    after ? sql`${count} <= ${afterKey} and (${count} < ${afterKey} or ${id} > ${after.id}::text)` : sql`true`;
  const project = sql`${projectId}::uuid`;
  // A person's figures over its members (person_members: person, num), canonical id first. Sessions are distinct
  // across the members of people with links (one index range per member); an id alone keeps its own count.
  const figures = sql`
      with person_sessions as (
        select pm.person, count(distinct s.session_num) as n
          from person_members pm
          join analytics_user_sessions s on s.project_id = ${project} and s.user_num = pm.num
         where pm.person in (select l.person_num from analytics_person_links l where l.project_id = ${project})
         group by pm.person
      )
      select c.distinct_id as id, sum(u.event_count)::bigint as event_count,
             case when count(*) = 1 then max(u.session_count) else coalesce(max(ps.n), 0) end as session_count,
             min(u.first_seen) as first_seen, max(u.last_seen) as last_seen
        from person_members pm
        join analytics_users u on u.project_id = ${project} and u.num = pm.num
        join analytics_users c on c.project_id = ${project} and c.num = pm.person
        left join person_sessions ps on ps.person = pm.person
       group by pm.person, c.distinct_id`;
  const columns = sql`p.id, p.event_count::text as sort_key, p.event_count, p.session_count,
          ${isoText(sql`p.first_seen`)} as first_seen, ${isoText(sql`p.last_seen`)} as last_seen`;

  if (filters?.length && !options.members) {
    const matching = rawEventsSql(
      projectId,
      [{ g: 0, a: from, b: to }],
      sql`e.distinct_id as id`,
      sql`e.distinct_id <> '' and ${filtersSql(filters)}`,
    );
    return sql`
      with matched as materialized (select distinct id from (${matching}) matching),
      links as materialized (select alias_num, person_num from analytics_person_links where project_id = ${project}),
      matched_users as materialized (
        select matched.id, u.num, coalesce(l.person_num, u.num) as person
          from matched
          left join analytics_users u on u.project_id = ${project} and u.distinct_id = matched.id
          left join links l on l.alias_num = u.num
      ),
      people as (select distinct person from matched_users where person is not null),
      person_members as materialized (
        select person, person as num from people
        union all
        select p.person, l.alias_num from people p join links l on l.person_num = p.person
      ),
      listed as (${figures})
      select ((select count(*) from people) + (select count(*) from matched_users where num is null))::bigint as total,
             page.*
        from (select 1) as one
        left join lateral (
          select ${columns}
            from listed p
           where ${keyset(sql`p.event_count`, sql`p.id`)}
           order by p.event_count desc, p.id
           limit ${limit} offset ${offset}
        ) page on true`;
  }

  if (options.members) {
    // The engine found the active people (person nums: canonical users' nums, or an unlinked user's own).
    const total = options.members.total;
    // Tested on many rows (candidates and the walk): the bitmap, a constant-time probe, never the list.
    if (options.heavy)
      return heavyPeopleSql(activeSql({ ...options.members, nums: null }), sql`${total}::bigint`, options.heavy);
    const active = activeSql(options.members);
    return walkPeopleSql(null, active, true, sql`${total}::bigint`);
  }

  const split = splitRange(from, to, USER_TOTAL_SIZES);
  const pieces = JSON.stringify(split.pieces.map((p) => ({ s: p.size, b: iso(p.bucket) })));
  const total = groupedStatsSql({ projectId, groups: [{ g: 0, from, to }], dimension: ALL_DIMENSION, withUsers: true });
  const active = (num: SQL) => sql`(exists (select 1 from rolled r
                   where r.chunk = ${memberChunkSql(num)} and get_bit(r.bits, ${memberBitPositionSql(num)}) = 1)
                or ${num} in (select num from raw_nums))`;
  const prelude = sql`
    rolled as materialized (
      select r.chunk, bit_or(r.users) as bits
        from jsonb_to_recordset(${pieces}::jsonb) as p(s smallint, b timestamptz)
        join analytics_user_rollups r
          on r.project_id = ${project} and r.dimension = ${ALL_DIMENSION}::text and r.size = p.s
         and r.bucket = p.b and r.chunk >= 0
       group by r.chunk
    ),
    raw_nums as materialized (
      select m.num
        from (${rawEventsSql(
          projectId,
          split.raw.map(([a, b]) => ({ g: 0, a, b })),
          sql`e.distinct_id as id`,
          sql`true`,
        )}) raw
        join analytics_users m on m.project_id = ${project} and m.distinct_id = raw.id
    )`;
  return walkPeopleSql(prelude, active, false, sql`(select users from (${total}) t)`);

  /**
   * The page from the people the engine found active, without aggregating every linked person: the unlinked are
   * walked in the index's order as in walkPeopleSql. A linked person reaches the page only with a summed count at
   * least the last unlinked row's (`heavy.floor`, when the walk filled the page): a person of two members then has
   * one counting at least half of it (an index range on event_count), and the few people of more members
   * (`heavy.large`) are taken whole. Of these, the summed counts keep those reaching the floor, and only they get
   * their figures. Membership is probed per id on the links' indexes.
   */
  function heavyPeopleSql(active: (num: SQL) => SQL, totalSql: SQL, heavy: HeavyPeople): SQL {
    const linked = linkedSql(projectId);
    const floor = heavy.floor ?? 0;
    return sql`
    with candidates as (
      select coalesce(l.person_num, u.num) as person
        from analytics_users u
        left join analytics_person_links l on l.project_id = ${project} and l.alias_num = u.num
       where u.project_id = ${project} and u.event_count >= ${Math.ceil(floor / 2)}::bigint
         and (l.person_num is not null
              or exists (select 1 from analytics_person_links p where p.project_id = ${project} and p.person_num = u.num))
      union all
      select unnest(${`{${heavy.large.join(",")}}`}::bigint[])
    ),
    people as (select distinct person from candidates where ${active(sql`person`)}),
    candidate_members as materialized (
      select person, person as num from people
      union all
      select p.person, l.alias_num from people p join analytics_person_links l on l.project_id = ${project} and l.person_num = p.person
    ),
    reaching as (
      select cm.person
        from candidate_members cm
        join analytics_users u on u.project_id = ${project} and u.num = cm.num
       group by cm.person
      having sum(u.event_count) >= ${floor}::bigint
    ),
    person_members as materialized (
      select cm.person, cm.num from candidate_members cm where cm.person in (select person from reaching)
    ),
    linked as (${figures}),
    unlinked as (${unlinkedWalkSql(options, active, linked)})
    select ${totalSql} as total, page.*
      from (select 1) as one
      left join lateral (
        select ${columns}
          from (select * from unlinked
                union all
                select * from linked l where ${keyset(sql`l.event_count`, sql`l.id`)}) p
         order by p.event_count desc, p.id
         limit ${limit} offset ${offset}
      ) page on true`;
  }

  /**
   * The walk over people: `active(num)` says whether a user num (a person, or an id of one) is active; `byPerson`
   * when it is true of person nums only (the engine's set), else of any member's num (the rollups' user sets).
   */
  function walkPeopleSql(prelude: SQL | null, active: (num: SQL) => SQL, byPerson: boolean, totalSql: SQL): SQL {
    const overlaps = (row: SQL) =>
      sql`${row}.last_seen >= ${iso(from)}::timestamptz and ${row}.first_seen < ${iso(to)}::timestamptz`;
    const people = byPerson
      ? sql`select distinct m.person_num as person from members m where ${active(sql`m.person_num`)}`
      : sql`select m.person_num as person
          from members m
          join analytics_users u on u.project_id = ${project} and u.num = m.num
         where ${overlaps(sql`u`)} and ${active(sql`u.num`)}
         group by m.person_num`;
    return sql`
    with ${prelude === null ? sql`` : sql`${prelude},`}
    members as materialized (${linkMembersSql(projectId)}),
    people as (${people}),
    person_members as materialized (select m.person_num as person, m.num from members m join people p on p.person = m.person_num),
    linked as (${figures}),
    unlinked as (
      select m.distinct_id as id, m.event_count, m.session_count, m.first_seen, m.last_seen
        from analytics_users m
       where m.project_id = ${project} and ${overlaps(sql`m`)} and ${active(sql`m.num`)}
         and m.num not in (select num from members)
         and ${keyset(sql`m.event_count`, sql`m.distinct_id`)}
       -- Exactly the index's order (drizzle makes DESC indexes NULLS LAST), so the walk stops early.
       order by m.event_count desc nulls last, m.distinct_id
       limit ${limit + offset}
    )
    select ${totalSql} as total, page.*
      from (select 1) as one
      left join lateral (
        select ${columns}
          from (select * from unlinked
                union all
                select * from linked l where ${keyset(sql`l.event_count`, sql`l.id`)}) p
         order by p.event_count desc, p.id
         limit ${limit} offset ${offset}
      ) page on true`;
  }
}

/** SQL: whether a person num (or an unlinked user's own num) is in the engine's active set. */
function activeSql({ bitmap, nums }: ActiveMembers): (num: SQL) => SQL {
  return (num) =>
    nums !== null
      ? sql`${num} = any(${`{${nums.join(",")}}`}::bigint[])`
      : sql`(${num} < ${bitmap.length * 8} and get_bit(${Buffer.from(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength)}::bytea, ${num}) = 1)`;
}

/** SQL: whether a user num is in a link (an alias, or a person with aliases): two probes of the links' indexes. */
function linkedSql(projectId: string): (num: SQL) => SQL {
  return (
    num,
  ) => sql`(exists (select 1 from analytics_person_links l where l.project_id = ${projectId}::uuid and l.alias_num = ${num})
        or exists (select 1 from analytics_person_links l where l.project_id = ${projectId}::uuid and l.person_num = ${num}))`;
}

/** The walk over the active ids with no link, in the event_count index's order, stopping after offset + limit rows. */
function unlinkedWalkSql(
  { projectId, from, to, limit, offset, after }: Omit<PageActiveOptions, "kind">,
  active: (num: SQL) => SQL,
  linked: (num: SQL) => SQL,
): SQL {
  return sql`
      select m.distinct_id as id, m.event_count, m.session_count, m.first_seen, m.last_seen
        from analytics_users m
       where m.project_id = ${projectId}::uuid
         -- As a filter only (IS TRUE is no index condition): on a short range the planner otherwise walks the
         -- last_seen index and sorts every id seen since (62 k rows for 7 days at 10 M events), never stopping early.
         and (m.last_seen >= ${iso(from)}::timestamptz and m.first_seen < ${iso(to)}::timestamptz) is true
         and ${active(sql`m.num`)}
         and not ${linked(sql`m.num`)}
         and ${keysetSql(after, sql`m.event_count`, sql`m.distinct_id`)}
       -- Exactly the index's order (drizzle makes DESC indexes NULLS LAST), so the walk stops early.
       order by m.event_count desc nulls last, m.distinct_id
       limit ${limit + offset}`;
}

/**
 * The first statement of a page from the engine's active people (pagePeopleSql with `heavy`): the event count of the
 * last of the offset + limit unlinked active ids, null when fewer are active (row: floor).
 */
export function unlinkedFloorSql(options: Omit<PageActiveOptions, "kind"> & { members: ActiveMembers }): SQL {
  return sql`select case when count(*) >= ${options.limit + options.offset} then min(event_count) end as floor
    from (${unlinkedWalkSql(options, activeSql({ ...options.members, nums: null }), linkedSql(options.projectId))}) walk`;
}
