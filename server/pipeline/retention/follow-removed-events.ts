/**
 * Retention's second half (apply-retention.ts): after a batch of old events is deleted, every per-session and
 * per-person table follows the removal, in the same transaction, so after each batch the tables equal plain SQL over
 * the remaining raw events (apply-retention.test.ts):
 *   - analytics_sessions: a session left with no event is deleted; one straddling the horizon is recomputed from
 *     its remaining events (first/last seen, count, entry/exit path, latest distinct id);
 *   - analytics_user_sessions and analytics_users.session_count: a (user, session) pair whose last event went is
 *     deleted and the user's count lowered by it;
 *   - analytics_users: event counts lowered by what went, first/last seen from the remaining events (two index
 *     probes per id on events_project_distinct_timestamp_idx; no id's events are counted again);
 *   - people (an id, or a canonical id and its aliases through analytics_person_links): a person none of whose ids
 *     has an event left is deleted whole, with its ids, links, traits and pairs, so one who returns later gets new
 *     nums and looks new. A person with an event left keeps all its ids, its links and its traits (the profile, as
 *     PostHog and Mixpanel keep it): traits are the person's current state (an email set at sign-up before the
 *     horizon is still theirs) and could not be rebuilt from what remains, and a link is what makes the remaining
 *     events of its ids count as one person. An id of such a person left with no event keeps its row with a count
 *     of 0 and first/last seen pinned to the person's first remaining event, inside the person's span, so the
 *     person's figures (min/max over its ids) stay those of its remaining events, as for the ids an identify names
 *     before their events arrive (apply-person-links.ts). Links are never removed from a person that stays, so the
 *     query engine's person map (built by link seq, links only ever added) stays right; the nums of a removed
 *     person have no event left anywhere, so its stale entries count nothing, and the removal is counted
 *     (user-removals.ts) so the cohort evaluator drops the nums from the people absence conditions range over.
 *
 * Cost per batch: the deleted events come back grouped by (session, id), one row per pair; the remaining events of
 * straddling sessions are read in one range of events_project_timestamp_idx, from the batch's newest deleted event
 * (the batch deletes the oldest events first, so nothing older than it is left) to the latest last seen of those
 * sessions; the rest are index probes by key. A session spanning days makes that range long (none in the bench data).
 */
import { sql } from "drizzle-orm";
import { type Database, queryRows } from "../../db/client.ts";
import { countUserRemoval } from "../people/user-removals.ts";

/** The deleted events of a batch, one row per (session id, distinct id), with their count. */
export interface RemovedGroup extends Record<string, unknown> {
  session_id: string | null;
  distinct_id: string | null;
  n: string | number;
}

export interface FollowedRemoval {
  /** Sessions deleted (no event left). */
  sessions: number;
  /** Sessions recomputed from their remaining events. */
  recomputed: number;
  /** People deleted (no event left under any of their ids). */
  people: number;
}

const nonEmpty = (value: string | null): value is string => value !== null && value !== "";

/**
 * Makes the session and people tables of `projectId` follow the deletion of `groups` (see the header), inside the
 * caller's transaction, which holds the project's write lock. `newest` is the newest deleted event's timestamp as
 * PostgreSQL text (so microseconds survive).
 */
export async function followRemovedEvents(
  tx: Database,
  projectId: string,
  groups: readonly RemovedGroup[],
  newest: string,
): Promise<FollowedRemoval> {
  const project = sql`${projectId}::uuid`;
  const perSession = new Map<string, number>();
  const perUser = new Map<string, number>();
  const pairs: Array<{ k: string; d: string }> = [];
  for (const group of groups) {
    const n = Number(group.n);
    if (nonEmpty(group.session_id)) perSession.set(group.session_id, (perSession.get(group.session_id) ?? 0) + n);
    if (nonEmpty(group.distinct_id)) perUser.set(group.distinct_id, (perUser.get(group.distinct_id) ?? 0) + n);
    if (nonEmpty(group.session_id) && nonEmpty(group.distinct_id))
      pairs.push({ k: group.session_id, d: group.distinct_id });
  }

  // 1. Sessions: what is left of each, and of the straddling ones their remaining events' figures.
  const sessions = await queryRows<{ session_id: string; left: string | number }>(
    tx,
    sql`select s.session_id, s.event_count - x.n as left
          from json_to_recordset(${JSON.stringify([...perSession].map(([k, n]) => ({ k, n })))}::json)
            as x(k text, n bigint)
          join analytics_sessions s on s.project_id = ${project} and s.session_id = x.k`,
  );
  const gone = sessions.filter((s) => Number(s.left) <= 0).map((s) => s.session_id);
  const straddling = sessions.filter((s) => Number(s.left) > 0);
  const remainingPairs = new Set<string>();
  let recomputed: Array<Record<string, unknown>> = [];
  if (straddling.length > 0) {
    const ids = JSON.stringify(straddling.map((s) => s.session_id));
    const rows = await queryRows<{
      session_id: string;
      n: string | number;
      pairs: string;
      f: string;
      l: string;
      ep: string | null;
      xp: string | null;
      d: string | null;
    }>(
      tx,
      sql`with w as materialized (
            select e.session_id, e.distinct_id, e.path, e."timestamp" as t, e.insert_id
              from events e
             where e.project_id = ${project} and e."timestamp" >= ${newest}::timestamptz
               and e."timestamp" <= (select max(s.last_seen) + interval '1 millisecond' from analytics_sessions s
                                      where s.project_id = ${project}
                                        and s.session_id in (select json_array_elements_text(${ids}::json)))
               and e.session_id in (select json_array_elements_text(${ids}::json))
          )
          select w.session_id, count(*) as n,
                 coalesce(json_agg(distinct w.distinct_id) filter (where w.distinct_id <> ''), '[]')::text as pairs,
                 (extract(epoch from date_trunc('milliseconds', min(w.t))) * 1000)::bigint::text as f,
                 (extract(epoch from date_trunc('milliseconds', max(w.t))) * 1000)::bigint::text as l,
                 (array_agg(w.path order by w.t, w.insert_id))[1] as ep,
                 (array_agg(w.path order by w.t desc, w.insert_id desc))[1] as xp,
                 (array_agg(w.distinct_id order by w.t desc, w.insert_id desc)
                    filter (where w.distinct_id <> ''))[1] as d
            from w group by w.session_id`,
    );
    for (const row of rows)
      for (const d of JSON.parse(row.pairs) as string[]) remainingPairs.add(`${row.session_id}\n${d}`);
    const left = new Map(straddling.map((s) => [s.session_id, Number(s.left)]));
    for (const row of rows) {
      // The read range holds every remaining event of these sessions (see the header): a mismatch is a broken
      // invariant, and the transaction is better rolled back than the table left wrong.
      if (Number(row.n) !== left.get(row.session_id))
        throw new Error(
          `retention: session ${row.session_id} has ${row.n} events left, expected ${left.get(row.session_id)}`,
        );
    }
    if (rows.length !== straddling.length) throw new Error("retention: a straddling session has no events left");
    recomputed = rows.map((r) => ({ k: r.session_id, n: Number(r.n), f: r.f, l: r.l, ep: r.ep, xp: r.xp, d: r.d }));
  }
  const goneSet = new Set(gone);
  const lostPairs = pairs.filter((p) => goneSet.has(p.k) || !remainingPairs.has(`${p.k}\n${p.d}`));

  // 2. Pairs, session counts, then the sessions themselves (one statement; each CTE writes its own table).
  await tx.execute(
    sql`with lost as (
          select u.num as user_num, s.num as session_num
            from json_to_recordset(${JSON.stringify(lostPairs)}::json) as x(k text, d text)
            join analytics_users u on u.project_id = ${project} and u.distinct_id = x.d
            join analytics_sessions s on s.project_id = ${project} and s.session_id = x.k
        ),
        unpaired as (
          delete from analytics_user_sessions p using lost
           where p.project_id = ${project} and p.user_num = lost.user_num and p.session_num = lost.session_num
          returning p.user_num
        ),
        per_user as (select user_num, count(*) as n from unpaired group by user_num),
        counted as (
          update analytics_users u set session_count = u.session_count - per_user.n
            from per_user where u.project_id = ${project} and u.num = per_user.user_num
          returning 1
        ),
        removed as (
          delete from analytics_sessions s
           where s.project_id = ${project} and s.session_id in (select json_array_elements_text(${JSON.stringify(gone)}::json))
          returning 1
        ),
        updated as (
          update analytics_sessions s
             set event_count = x.n, first_seen = 'epoch'::timestamptz + x.f * interval '1 millisecond',
                 last_seen = 'epoch'::timestamptz + x.l * interval '1 millisecond',
                 entry_path = x.ep, exit_path = x.xp, distinct_id = x.d
            from json_to_recordset(${JSON.stringify(recomputed)}::json)
              as x(k text, n bigint, f bigint, l bigint, ep text, xp text, d text)
           where s.project_id = ${project} and s.session_id = x.k
          returning 1
        )
        select (select count(*) from counted) + (select count(*) from removed) + (select count(*) from updated) as n`,
  );

  // 3. People: every id of every person that lost events, with what it keeps.
  const members = await queryRows<{
    person: string | number;
    num: string | number;
    left: string | number;
    f: string | null;
    l: string | null;
  }>(
    tx,
    sql`with x as (select d, n from json_to_recordset(${JSON.stringify([...perUser].map(([d, n]) => ({ d, n })))}::json)
                     as x(d text, n bigint)),
        people as (
          select distinct coalesce(l.person_num, u.num) as person
            from x join analytics_users u on u.project_id = ${project} and u.distinct_id = x.d
            left join analytics_person_links l on l.project_id = ${project} and l.alias_num = u.num
        ),
        members as (
          select person, person as num from people
          union all
          select l.person_num, l.alias_num from analytics_person_links l join people p on p.person = l.person_num
           where l.project_id = ${project}
        )
        select m.person, m.num, u.event_count - coalesce(x.n, 0) as left, b.f, b.l
          from members m
          join analytics_users u on u.project_id = ${project} and u.num = m.num
          left join x on x.d = u.distinct_id
          left join lateral (
            select (extract(epoch from date_trunc('milliseconds', min(e."timestamp"))) * 1000)::bigint::text as f,
                   (extract(epoch from date_trunc('milliseconds', max(e."timestamp"))) * 1000)::bigint::text as l
              from events e where e.project_id = ${project} and e.distinct_id = u.distinct_id
          ) b on u.event_count - coalesce(x.n, 0) > 0`,
  );
  const byPerson = new Map<number, typeof members>();
  for (const member of members) {
    const person = Number(member.person);
    const list = byPerson.get(person);
    if (list) list.push(member);
    else byPerson.set(person, [member]);
  }
  const removedPeople: number[] = [];
  const removedNums: number[] = [];
  const kept: Array<{ num: number; n: number; f: string; l: string }> = [];
  for (const [person, list] of byPerson) {
    const withEvents = list.filter((m) => Number(m.left) > 0);
    if (withEvents.length === 0) {
      removedPeople.push(person);
      for (const m of list) removedNums.push(Number(m.num));
      continue;
    }
    const first = withEvents.reduce((a, m) => (Number(m.f) < Number(a) ? m.f! : a), withEvents[0]!.f!);
    for (const m of list) {
      const n = Math.max(0, Number(m.left));
      kept.push({ num: Number(m.num), n, f: n > 0 ? m.f! : first, l: n > 0 ? m.l! : first });
    }
  }
  if (kept.length > 0) {
    await tx.execute(
      sql`update analytics_users u
             set event_count = x.n, first_seen = 'epoch'::timestamptz + x.f * interval '1 millisecond',
                 last_seen = 'epoch'::timestamptz + x.l * interval '1 millisecond'
            from json_to_recordset(${JSON.stringify(kept)}::json) as x(num bigint, n bigint, f bigint, l bigint)
           where u.project_id = ${project} and u.num = x.num`,
    );
  }
  if (removedPeople.length > 0) {
    // Same order as people.delete: the write lock (held), then the project's link lock.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`person-links:${projectId}`}, 0))`);
    const nums = `{${removedNums.join(",")}}`;
    await tx.execute(
      sql`with pairs as (
            delete from analytics_user_sessions where project_id = ${project} and user_num = any(${nums}::bigint[])
            returning 1
          ),
          links as (
            delete from analytics_person_links where project_id = ${project} and alias_num = any(${nums}::bigint[])
            returning 1
          ),
          traits as (
            delete from analytics_person_traits where project_id = ${project} and person_num = any(${nums}::bigint[])
            returning 1
          ),
          ids as (
            delete from analytics_users where project_id = ${project} and num = any(${nums}::bigint[])
            returning 1
          )
          select (select count(*) from pairs) + (select count(*) from links) + (select count(*) from traits)
               + (select count(*) from ids) as n`,
    );
    // Their nums leave the people cohorts range over ("did not perform X" must not count them): user-removals.ts.
    await countUserRemoval(tx, projectId);
  }
  return { sessions: gone.length, recomputed: recomputed.length, people: removedPeople.length };
}
