/**
 * Step 2 of applyRollups, one statement: upserts the batch's sessions and users and returns their nums. Known ones
 * keep theirs; new ones are numbered from the per-project counters (analytics_id_counters). If another worker adds
 * the same key meanwhile, ON CONFLICT keeps its num (ours becomes an unused gap) and RETURNING reports the num that
 * won. Rows are taken in key order (ORDER BY) so two workers updating the same rows cannot deadlock.
 *
 * Takes the JSON of session-user-aggregates.ts (`sessionsWireJson`, `usersWireJson`; short keys, see there).
 */
import { type SQL, sql } from "drizzle-orm";
import { SESSION_KIND, USER_KIND } from "../../analytics/rollup-layout.ts";
import { type Database, queryRows } from "../../db/client.ts";

/** A session (kind SESSION_KIND, key = session id) or user (USER_KIND, key = distinct id) and its num. */
export type StoredNum = {
  kind: number;
  project_id: string;
  key: string;
  num: string | number;
};

/** Upserts sessions and users inside the caller's transaction; one row per session and user with its num. */
export async function upsertSessionsAndUsers(
  tx: Database,
  sessionsJson: string,
  usersJson: string,
): Promise<StoredNum[]> {
  return queryRows<StoredNum>(
    tx,
    sql`with s_in as (
        select p, k, d, ${epochMs(sql`f`)} as f, ${epochMs(sql`l`)} as l, n, ep, xp
          from json_to_recordset(${sessionsJson}::json)
            as x(p uuid, k text, d text, f bigint, l bigint, n bigint, ep text, xp text)
      ),
      u_in as (
        select p, k, ${epochMs(sql`f`)} as f, ${epochMs(sql`l`)} as l, n
          from json_to_recordset(${usersJson}::json)
            as x(p uuid, k text, f bigint, l bigint, n bigint)
      ),
      s_known as (
        select i.p, i.k, s.num from s_in i join analytics_sessions s on s.project_id = i.p and s.session_id = i.k
      ),
      u_known as (
        select i.p, i.k, u.num from u_in i join analytics_users u on u.project_id = i.p and u.distinct_id = i.k
      ),
      s_new as (
        select i.p, i.k, row_number() over (partition by i.p order by i.k) as rn
          from s_in i where not exists (select 1 from s_known k where k.p = i.p and k.k = i.k)
      ),
      u_new as (
        select i.p, i.k, row_number() over (partition by i.p order by i.k) as rn
          from u_in i where not exists (select 1 from u_known k where k.p = i.p and k.k = i.k)
      ),
      wanted as (
        select p, ${SESSION_KIND}::smallint as kind, count(*) as n from s_new group by p
        union all
        select p, ${USER_KIND}::smallint, count(*) from u_new group by p
      ),
      counters as (
        insert into analytics_id_counters as c (project_id, kind, last_id)
        select p, kind, n from wanted order by p, kind
        on conflict (project_id, kind) do update set last_id = c.last_id + excluded.last_id
        returning project_id, kind, last_id
      ),
      ranges as (
        select c.project_id as p, c.kind, c.last_id - w.n as base
          from counters c join wanted w on w.p = c.project_id and w.kind = c.kind
      ),
      s_nums as (
        select p, k, num from s_known
        union all
        select n.p, n.k, r.base + n.rn from s_new n join ranges r on r.p = n.p and r.kind = ${SESSION_KIND}
      ),
      u_nums as (
        select p, k, num from u_known
        union all
        select n.p, n.k, r.base + n.rn from u_new n join ranges r on r.p = n.p and r.kind = ${USER_KIND}
      ),
      s_up as (
        insert into analytics_sessions as s
          (project_id, session_id, num, distinct_id, first_seen, last_seen, event_count, entry_path, exit_path)
        select i.p, i.k, n.num, i.d, i.f, i.l, i.n, i.ep, i.xp
          from s_in i join s_nums n on n.p = i.p and n.k = i.k
         order by i.p, i.k
        on conflict (project_id, session_id) do update set
          distinct_id = case when excluded.distinct_id is not null
                               and (s.distinct_id is null or excluded.last_seen >= s.last_seen)
                             then excluded.distinct_id else s.distinct_id end,
          entry_path = case when excluded.first_seen < s.first_seen then excluded.entry_path else s.entry_path end,
          exit_path = case when excluded.last_seen >= s.last_seen then excluded.exit_path else s.exit_path end,
          first_seen = least(s.first_seen, excluded.first_seen),
          last_seen = greatest(s.last_seen, excluded.last_seen),
          event_count = s.event_count + excluded.event_count
        returning project_id, session_id, num
      ),
      u_up as (
        insert into analytics_users as u (project_id, distinct_id, num, first_seen, last_seen, event_count)
        select i.p, i.k, n.num, i.f, i.l, i.n
          from u_in i join u_nums n on n.p = i.p and n.k = i.k
         order by i.p, i.k
        on conflict (project_id, distinct_id) do update set
          first_seen = least(u.first_seen, excluded.first_seen),
          last_seen = greatest(u.last_seen, excluded.last_seen),
          event_count = u.event_count + excluded.event_count
        returning project_id, distinct_id, num
      )
      select ${SESSION_KIND} as kind, project_id, session_id as key, num from s_up
      union all
      select ${USER_KIND}, project_id, distinct_id, num from u_up`,
  );
}

/** Milliseconds since the epoch as an exact timestamptz (cheaper for PostgreSQL than parsing ISO text). */
function epochMs(column: SQL) {
  return sql`('epoch'::timestamptz + ${column} * interval '1 millisecond')`;
}
