/**
 * Step 2b of applyRollups: identity links from the batch's identify events (the contract is shared/identity.ts).
 *
 * Rules, applied to identify events in timestamp order (ties in batch order), each seeing the links the earlier ones
 * made:
 *   - the event's distinct_id is the new, canonical id; unless it is a placeholder it is marked `identified`;
 *   - its `$anon_distinct_id` (a string of at most MAX_ANON_ID_LENGTH characters, not a placeholder, not the new id)
 *     is the previous id; it is linked to the new id's person only when it is not linked yet and was never itself
 *     identified. Otherwise the event stays stored, unlinked. An id no event has shown yet gets its user num here,
 *     so its later events count as the person's;
 *   - the mapping is flat: an identified id is never an alias, and when the new id is itself an alias the link goes
 *     to its person, so every alias points straight at a canonical num.
 * Only rows the events insert added reach here (apply-rollups.ts), so a redelivered batch links nothing twice; the
 * links table's primary key refuses a second link of the same alias from a concurrent worker. Batches with identify
 * events take a per-project advisory lock (lockPersonLinks), so two workers cannot each link half of a chain the
 * other just made.
 */
import { sql } from "drizzle-orm";
import { ANON_ID_PROPERTY, IDENTIFY_EVENTS, isPlaceholderId, MAX_ANON_ID_LENGTH } from "../../../shared/identity.ts";
import { LINK_KIND, USER_KIND } from "../../analytics/rollup-layout.ts";
import { type Database, queryRows } from "../../db/client.ts";
import type { RollupSourceRow } from "./rollup-source-row.ts";
import type { ByProject, UserAggregate } from "./session-user-aggregates.ts";

export interface Identify {
  projectId: string;
  newId: string;
  anonId: string | null;
  t: number;
}

interface KnownUser {
  num: number;
  identified: boolean;
  /** The person this id is an alias of, or null. */
  person: number | null;
}

type KnownRow = {
  project_id: string;
  distinct_id: string;
  num: string | number;
  identified: boolean;
  person_num: string | number | null;
};

/** The previous id an identify event names, or null when it names none that may be linked. */
function anonIdOf(row: RollupSourceRow): string | null {
  const value = row.properties?.[ANON_ID_PROPERTY];
  if (typeof value !== "string" || value.length > MAX_ANON_ID_LENGTH || isPlaceholderId(value)) return null;
  return value;
}

/** The batch's identify events per project, each project's in timestamp order (ties in batch order). */
export function identifyEventsOf(rows: readonly RollupSourceRow[], times: readonly number[]): Map<string, Identify[]> {
  const byProject = new Map<string, Identify[]>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (!IDENTIFY_EVENTS.has(row.eventName)) continue;
    const newId = row.distinctId;
    if (!newId || isPlaceholderId(newId)) continue;
    const anonId = anonIdOf(row);
    const identify = { projectId: row.projectId, newId, anonId: anonId === newId ? null : anonId, t: times[i]! };
    const list = byProject.get(row.projectId);
    if (list) list.push(identify);
    else byProject.set(row.projectId, [identify]);
  }
  // Stable: ties keep batch order.
  for (const list of byProject.values()) list.sort((a, b) => a.t - b.t);
  return byProject;
}

/**
 * Takes the projects' link locks (see the header), in one order so two batches cannot wait on each other; call it
 * before step 2's upsert, so a transaction waiting here holds no user row another linking transaction may need.
 * Released at COMMIT.
 */
export async function lockPersonLinks(tx: Database, projectIds: Iterable<string>): Promise<void> {
  for (const projectId of [...projectIds].sort()) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`person-links:${projectId}`}, 0))`);
  }
}

/** A link this batch made: the alias num now belongs to the person num. */
export interface NewLink {
  projectId: string;
  aliasNum: number;
  personNum: number;
}

/**
 * Makes the links of `identifies` (identifyEventsOf) and marks the identified ids, inside the caller's transaction,
 * which holds their lockPersonLinks; `users` are the batch's users with their nums. Returns the links it made (the
 * traits step moves their aliases' traits, apply-person-traits.ts).
 */
export async function applyPersonLinks(
  tx: Database,
  identifies: ReadonlyMap<string, readonly Identify[]>,
  users: ByProject<UserAggregate>,
): Promise<NewLink[]> {
  const made: NewLink[] = [];
  for (const [projectId, list] of identifies)
    made.push(...(await linkProject(tx, projectId, list, users.of(projectId))));
  return made;
}

async function linkProject(
  tx: Database,
  projectId: string,
  identifies: readonly Identify[],
  batchUsers: Map<string, UserAggregate>,
): Promise<NewLink[]> {
  const ids = new Set<string>();
  for (const { newId, anonId } of identifies) {
    ids.add(newId);
    if (anonId !== null) ids.add(anonId);
  }
  const known = new Map<string, KnownUser>();
  const found = await queryRows<KnownRow>(
    tx,
    sql`select u.project_id, u.distinct_id, u.num, u.identified, l.person_num
          from analytics_users u
          left join analytics_person_links l on l.project_id = u.project_id and l.alias_num = u.num
         where u.project_id = ${projectId}::uuid
           and u.distinct_id in (select jsonb_array_elements_text(${JSON.stringify([...ids])}::jsonb))`,
  );
  for (const row of found) {
    known.set(row.distinct_id, {
      num: Number(row.num),
      identified: row.identified,
      person: row.person_num === null ? null : Number(row.person_num),
    });
  }
  // Every new id is an event's distinct_id in this batch, so step 2 gave it a num (found above); this is a guard.
  for (const { newId } of identifies) {
    if (!known.has(newId)) {
      const num = batchUsers.get(newId)?.num;
      if (num === undefined || num < 0) throw new Error(`identified user ${newId} got no num`);
      known.set(newId, { num, identified: false, person: null });
    }
  }
  // Anonymous ids no event has shown yet (their events may come later, from another tab's queue): numbered now, with
  // no events, so the link holds for them when they arrive.
  const unseen = new Map<string, number>();
  for (const { anonId, t } of identifies)
    if (anonId !== null && !known.has(anonId) && !unseen.has(anonId)) unseen.set(anonId, t);
  if (unseen.size) {
    for (const row of await addUnseenUsers(tx, projectId, unseen))
      known.set(row.distinct_id, { num: Number(row.num), identified: false, person: null });
  }

  const identified = new Set<number>();
  const links: Array<{ a: number; p: number }> = [];
  for (const { newId, anonId } of identifies) {
    const user = known.get(newId)!;
    if (!user.identified) {
      user.identified = true;
      identified.add(user.num);
    }
    if (anonId === null) continue;
    const anon = known.get(anonId);
    if (!anon || anon.person !== null || anon.identified) continue;
    const person = user.person ?? user.num;
    if (person === anon.num) continue;
    anon.person = person;
    links.push({ a: anon.num, p: person });
  }

  if (identified.size) {
    await tx.execute(
      sql`update analytics_users set identified = true
           where project_id = ${projectId}::uuid and not identified
             and num in (select jsonb_array_elements_text(${JSON.stringify([...identified])}::jsonb)::bigint)`,
    );
  }
  if (!links.length) return [];
  const inserted = await queryRows<{ alias_num: string | number; person_num: string | number }>(
    tx,
    sql`with counter as (
            insert into analytics_id_counters as c (project_id, kind, last_id)
            values (${projectId}::uuid, ${LINK_KIND}::smallint, ${links.length}::bigint)
            on conflict (project_id, kind) do update set last_id = c.last_id + excluded.last_id
            returning last_id
          )
          insert into analytics_person_links (project_id, alias_num, person_num, seq, linked_at)
          select ${projectId}::uuid, x.a, x.p, counter.last_id - ${links.length}::bigint + x.i, now()
            from json_to_recordset(${JSON.stringify(links.map((l, i) => ({ ...l, i: i + 1 })))}::json)
                   as x(a bigint, p bigint, i bigint), counter
          on conflict (project_id, alias_num) do nothing
          returning alias_num, person_num`,
  );
  return inserted.map((row) => ({ projectId, aliasNum: Number(row.alias_num), personNum: Number(row.person_num) }));
}

/**
 * Numbers anonymous ids never seen in an event (analytics_users rows with no events, first and last seen at the
 * identify that named them: inside the person's own span, so the person's figures are unchanged). A row another
 * transaction added meanwhile keeps its num (ours is an unused gap), as in upsert-sessions-and-users.ts.
 */
async function addUnseenUsers(
  tx: Database,
  projectId: string,
  unseen: ReadonlyMap<string, number>,
): Promise<Array<{ distinct_id: string; num: string | number }>> {
  const wanted = JSON.stringify([...unseen].map(([k, t]) => ({ k, t })));
  return queryRows(
    tx,
    sql`with counter as (
          insert into analytics_id_counters as c (project_id, kind, last_id)
          values (${projectId}::uuid, ${USER_KIND}::smallint, ${unseen.size}::bigint)
          on conflict (project_id, kind) do update set last_id = c.last_id + excluded.last_id
          returning last_id
        ),
        numbered as (
          select x.k, 'epoch'::timestamptz + x.t * interval '1 millisecond' as at,
                 counter.last_id - ${unseen.size}::bigint + row_number() over (order by x.k) as num
            from json_to_recordset(${wanted}::json) as x(k text, t bigint), counter
        )
        insert into analytics_users as u (project_id, distinct_id, num, first_seen, last_seen, event_count)
        select ${projectId}::uuid, k, num, at, at, 0 from numbered order by k
        on conflict (project_id, distinct_id) do update set event_count = u.event_count
        returning distinct_id, num`,
  );
}
