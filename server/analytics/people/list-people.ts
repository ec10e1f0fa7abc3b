/**
 * people.list: one page of people, most recently seen first, with the total, in one statement.
 *
 * A person is a canonical id with its linked aliases (analytics_person_links), or an id with no link; its figures
 * cover all its ids (events summed, sessions distinct across them, first seen the earliest, last seen the latest).
 * Which people: everyone without a range; with one (or with filters), those with an event passing the filters in
 * it, taken from the query engine's person set when it serves the project, else from the raw events of the range.
 * `search` keeps people with an id (canonical or alias) or a trait value containing it, case-insensitive.
 *
 * Cost: ids with no link (nearly all) are walked in analytics_users_last_seen_idx's order and the walk stops after a
 * page; the people with links (one row per link, small beside the users) are all aggregated and merged into the page
 * by the same order, last seen desc then canonical id. The cursor is that pair (last seen in microseconds, id).
 */
import { type SQL, sql } from "drizzle-orm";
import { type AnalyticsFilter, encodePageCursor, type PageCursor, resolveRange } from "../../../shared/analytics.ts";
import {
  type AnalyticsPeriod,
  EARLIEST_RANGE_DATE,
  LATEST_RANGE_AHEAD_MS,
} from "../../../shared/analytics-constants.ts";
import { hasRange, type PeoplePage, type TraitValue } from "../../../shared/people.ts";
import { type Database, queryRows } from "../../db/client.ts";
import type { QueryEngine } from "../engine/query-engine.ts";
import { filtersSql } from "../event-filter-sql.ts";
import { activeMembers } from "../page-active-sql.ts";

export interface ListPeopleInput {
  projectId: string;
  period?: AnalyticsPeriod | undefined;
  from?: string | undefined;
  to?: string | undefined;
  filters?: AnalyticsFilter[] | undefined;
  search?: string | undefined;
  limit?: number | undefined;
  cursor?: PageCursor | undefined;
}

interface PersonRow extends Record<string, unknown> {
  total: string | number;
  id: string | null;
  sort_key: string;
  event_count: string | number;
  session_count: string | number;
  first_seen: string;
  last_seen: string;
  aliases: string;
  traits: string;
}

const isoText = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** People of the project (see the header), a page of them from `cursor` on, and how many match. */
export async function listPeople(
  db: Database,
  input: ListPeopleInput,
  now = Date.now(),
  engine: QueryEngine | null = null,
): Promise<PeoplePage> {
  const limit = input.limit ?? 50;
  const project = sql`${input.projectId}::uuid`;
  const ranged = hasRange(input);
  const filtered = Boolean(input.filters?.length);
  const span = ranged
    ? resolveRange(input, now)
    : { from: new Date(EARLIEST_RANGE_DATE), to: new Date(now + LATEST_RANGE_AHEAD_MS) };

  // Which person nums are active: all, the engine's set, or the range's raw events.
  let active: (num: SQL) => SQL = () => sql`true`;
  let rawActive = sql``;
  if (ranged || filtered) {
    const set = engine
      ? await engine.members(
          db,
          input.projectId,
          { from: span.from.getTime(), to: span.to.getTime() },
          input.filters ?? [],
          "people",
        )
      : null;
    if (set) {
      const { bitmap, nums } = activeMembers(set);
      active = (num) =>
        nums !== null
          ? sql`${num} = any(${`{${nums.join(",")}}`}::bigint[])`
          : sql`(${num} < ${bitmap.length * 8} and get_bit(${Buffer.from(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength)}::bytea, ${num}) = 1)`;
    } else {
      const range = ranged
        ? sql`e.timestamp >= ${span.from.toISOString()}::timestamptz and e.timestamp < ${span.to.toISOString()}::timestamptz`
        : sql`true`;
      rawActive = sql`raw_active as materialized (
          select distinct coalesce(l.person_num, u.num) as person
            from events e
            join analytics_users u on u.project_id = ${project} and u.distinct_id = e.distinct_id
            left join links l on l.alias_num = u.num
           where e.project_id = ${project} and e.distinct_id <> '' and ${range} and ${filtersSql(input.filters)}
        ),`;
      active = (num) => sql`${num} in (select person from raw_active)`;
    }
  }

  const search = input.search?.trim().toLowerCase() ?? "";
  const traitMatches = (num: SQL) =>
    sql`exists (select 1 from analytics_person_traits t
                 where t.project_id = ${project} and t.person_num = ${num} and not t.unset
                   and strpos(lower(t.value #>> '{}'), ${search}) > 0)`;
  const idMatches = (id: SQL) => sql`strpos(lower(${id}), ${search}) > 0`;
  const linkedSearch = search
    ? sql`having bool_or(${idMatches(sql`u.distinct_id`)}) or ${traitMatches(sql`m.person_num`)}`
    : sql``;
  const unlinkedSearch = search ? sql`and (${idMatches(sql`u.distinct_id`)} or ${traitMatches(sql`u.num`)})` : sql``;

  const after = input.cursor;
  const afterAt = sql`(timestamptz 'epoch' + ${after?.key ?? "0"}::bigint * interval '1 microsecond')`;
  const keyset = (lastSeen: SQL, id: SQL) =>
    after ? sql`${lastSeen} <= ${afterAt} and (${lastSeen} < ${afterAt} or ${id} > ${after.id}::text)` : sql`true`;

  // Everyone: each user row is a person or an alias, so the total is two counts off the primary keys (counting the
  // unlinked rows one by one was 130 ms of 200,000 people).
  const everyone = !ranged && !filtered && !search;
  const total = everyone
    ? sql`((select count(*) from analytics_users where project_id = ${project}) - (select count(*) from links))`
    : sql`((select count(*) from unlinked) + (select count(*) from linked))`;
  const rows = await queryRows<PersonRow>(
    db,
    sql`
    with links as materialized (
      select alias_num, person_num from analytics_person_links where project_id = ${project}
    ),
    members as materialized (
      select alias_num as num, person_num from links
      union all
      select distinct person_num, person_num from links
    ),
    ${rawActive}
    linked as materialized (
      select m.person_num as person, c.distinct_id as id, sum(u.event_count)::bigint as event_count,
             min(u.first_seen) as first_seen, max(u.last_seen) as last_seen
        from members m
        join analytics_users u on u.project_id = ${project} and u.num = m.num
        join analytics_users c on c.project_id = ${project} and c.num = m.person_num
       where ${active(sql`m.person_num`)}
       group by m.person_num, c.distinct_id
       ${linkedSearch}
    ),
    unlinked as (
      select u.num as person, u.distinct_id as id, u.event_count, u.first_seen, u.last_seen
        from analytics_users u
       where u.project_id = ${project} and u.num not in (select num from members)
         and ${active(sql`u.num`)} ${unlinkedSearch}
    ),
    page as (
      select * from (
        select * from unlinked u
         where ${keyset(sql`u.last_seen`, sql`u.id`)}
         -- Exactly the index's order (drizzle makes DESC indexes NULLS LAST), so the walk stops early.
         order by u.last_seen desc nulls last, u.id
         limit ${limit + 1}
      ) walked
      union all
      select * from linked l where ${keyset(sql`l.last_seen`, sql`l.id`)}
      order by last_seen desc, id
      limit ${limit + 1}
    )
    select ${total}::bigint as total, p.*
      from (select 1) as one
      left join lateral (
        select p.id, (extract(epoch from p.last_seen) * 1000000)::bigint::text as sort_key, p.event_count,
               ${isoText(sql`p.first_seen`)} as first_seen, ${isoText(sql`p.last_seen`)} as last_seen,
               (select count(distinct s.session_num) from analytics_user_sessions s
                 where s.project_id = ${project}
                   and (s.user_num = p.person or s.user_num in (select num from members where person_num = p.person)))
                 as session_count,
               (select coalesce(jsonb_agg(a.distinct_id order by a.distinct_id), '[]'::jsonb)
                  from links l join analytics_users a on a.project_id = ${project} and a.num = l.alias_num
                 where l.person_num = p.person)::text as aliases,
               (select coalesce(jsonb_object_agg(t.key, t.value), '{}'::jsonb)
                  from analytics_person_traits t
                 where t.project_id = ${project} and t.person_num = p.person and not t.unset)::text as traits
          from page p
         order by p.last_seen desc, p.id
      ) p on true`,
  );
  const found = rows.filter((row) => row.id !== null);
  const page = found.slice(0, limit);
  const last = page.at(-1);
  return {
    total: Number(rows[0]?.total ?? 0),
    nextCursor: found.length > limit && last ? encodePageCursor("people", { key: last.sort_key, id: last.id! }) : null,
    items: page.map((row) => ({
      distinctId: row.id!,
      aliases: JSON.parse(row.aliases) as string[],
      traits: JSON.parse(row.traits) as Record<string, TraitValue>,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      eventCount: Number(row.event_count),
      sessionCount: Number(row.session_count),
    })),
  };
}
