/**
 * Step 2c of applyRollups: person traits (analytics_person_traits) from the batch's events. The contract:
 *   - an identify event's properties other than `$`-keys, and any event's `properties.$set` (an object), set traits;
 *     `properties.$unset` (a list of keys) removes them; within one event `$set` comes after the identify
 *     properties and `$unset` last;
 *   - per key the change with the latest event timestamp wins, so a late event with an older timestamp overwrites
 *     nothing newer; an unset is kept as a row (`unset`, value null) so an older set arriving later stays refused.
 *     Ties: within a batch the later event wins, across batches the later stored;
 *   - traits belong to the person (the id's person_num through analytics_person_links, its own num when unlinked);
 *     when a link of this batch makes an alias part of a person, the alias's traits move to the person by the same
 *     rule (the person's own value wins a tie).
 * Only rows the events insert added reach here (apply-rollups.ts), so a redelivered batch changes nothing. Batches
 * with trait changes hold their projects' person-link lock (lockPersonLinks), so a concurrent link cannot move an
 * alias's traits while another transaction is still writing under the alias's num.
 */
import { sql } from "drizzle-orm";
import { MAX_PROPERTY_KEY_LENGTH } from "../../../shared/dimensions.ts";
import { IDENTIFY_EVENTS } from "../../../shared/identity.ts";
import { type Database, queryRows } from "../../db/client.ts";
import type { NewLink } from "./apply-person-links.ts";
import type { RollupSourceRow } from "./rollup-source-row.ts";
import type { ByProject, UserAggregate } from "./session-user-aggregates.ts";

/** The property of any event whose object sets traits. */
export const SET_PROPERTY = "$set";
/** The property of any event whose list of keys removes traits. */
export const UNSET_PROPERTY = "$unset";

export interface TraitChange {
  distinctId: string;
  t: number;
  key: string;
  /** The value set; undefined for an unset. */
  value?: unknown;
  unset: boolean;
}

const usableKey = (key: string) => key.length > 0 && key.length <= MAX_PROPERTY_KEY_LENGTH;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The batch's trait changes per project, in batch order. */
export function traitChangesOf(rows: readonly RollupSourceRow[], times: readonly number[]): Map<string, TraitChange[]> {
  const byProject = new Map<string, TraitChange[]>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const distinctId = row.distinctId;
    const properties = row.properties;
    if (!distinctId || !properties) continue;
    const set = properties[SET_PROPERTY];
    const unset = properties[UNSET_PROPERTY];
    const identify = IDENTIFY_EVENTS.has(row.eventName);
    if (!identify && set === undefined && unset === undefined) continue;
    const t = times[i]!;
    const changes: TraitChange[] = [];
    if (identify) {
      for (const [key, value] of Object.entries(properties))
        if (!key.startsWith("$") && usableKey(key)) changes.push({ distinctId, t, key, value, unset: false });
    }
    if (isPlainObject(set)) {
      for (const [key, value] of Object.entries(set))
        if (usableKey(key)) changes.push({ distinctId, t, key, value, unset: false });
    }
    if (Array.isArray(unset)) {
      for (const key of unset)
        if (typeof key === "string" && usableKey(key)) changes.push({ distinctId, t, key, unset: true });
    }
    if (!changes.length) continue;
    const list = byProject.get(row.projectId);
    if (list) list.push(...changes);
    else byProject.set(row.projectId, changes);
  }
  return byProject;
}

/**
 * Moves the traits of this batch's newly linked aliases to their people, then applies `changes` (traitChangesOf) to
 * the people of their ids, inside the caller's transaction; `users` are the batch's users with their nums.
 */
export async function applyPersonTraits(
  tx: Database,
  changes: ReadonlyMap<string, readonly TraitChange[]>,
  users: ByProject<UserAggregate>,
  links: readonly NewLink[],
): Promise<void> {
  if (links.length) await moveAliasTraits(tx, links);
  if (!changes.size) return;

  // Each changed id's num, then its person (one lookup of the links for all of them).
  const nums: Array<{ p: string; n: number }> = [];
  const seen = new Set<string>();
  for (const [projectId, list] of changes) {
    const projectUsers = users.of(projectId);
    for (const { distinctId } of list) {
      const num = projectUsers.get(distinctId)?.num;
      if (num === undefined || num < 0) throw new Error(`user ${distinctId} got no num`);
      const key = `${projectId}\u0000${num}`;
      if (!seen.has(key)) {
        seen.add(key);
        nums.push({ p: projectId, n: num });
      }
    }
  }
  const linked = await queryRows<{ project_id: string; alias_num: string | number; person_num: string | number }>(
    tx,
    sql`select l.project_id, l.alias_num, l.person_num
          from json_to_recordset(${JSON.stringify(nums)}::json) as x(p uuid, n bigint)
          join analytics_person_links l on l.project_id = x.p and l.alias_num = x.n`,
  );
  const personOf = new Map<string, number>();
  for (const row of linked) personOf.set(`${row.project_id}\u0000${Number(row.alias_num)}`, Number(row.person_num));

  // The latest change per person and key (a later one in batch order wins a tie).
  const latest = new Map<string, { p: string; n: number; k: string; v: string | null; t: number; u: boolean }>();
  for (const [projectId, list] of changes) {
    const projectUsers = users.of(projectId);
    for (const change of list) {
      const num = projectUsers.get(change.distinctId)!.num;
      const person = personOf.get(`${projectId}\u0000${num}`) ?? num;
      const key = `${projectId}\u0000${person}\u0000${change.key}`;
      const current = latest.get(key);
      if (current && current.t > change.t) continue;
      latest.set(key, {
        p: projectId,
        n: person,
        k: change.key,
        // jsonb text of the value, so a JSON null stays a value and not a missing one.
        v: change.unset ? null : JSON.stringify(change.value ?? null),
        t: change.t,
        u: change.unset,
      });
    }
  }
  await tx.execute(
    sql`insert into analytics_person_traits as t (project_id, person_num, key, value, set_at, unset)
        select x.p, x.n, x.k, x.v::jsonb, 'epoch'::timestamptz + x.t * interval '1 millisecond', x.u
          from json_to_recordset(${JSON.stringify([...latest.values()])}::json)
                 as x(p uuid, n bigint, k text, v text, t bigint, u boolean)
        on conflict (project_id, person_num, key) do update
           set value = excluded.value, set_at = excluded.set_at, unset = excluded.unset
         where excluded.set_at >= t.set_at`,
  );
}

/** The aliases' traits become their people's, latest wins per key (the person's own on a tie). */
async function moveAliasTraits(tx: Database, links: readonly NewLink[]): Promise<void> {
  const wire = JSON.stringify(links.map((l) => ({ p: l.projectId, a: l.aliasNum, n: l.personNum })));
  await tx.execute(
    sql`with moved as (
          delete from analytics_person_traits t
           using json_to_recordset(${wire}::json) as x(p uuid, a bigint, n bigint)
           where t.project_id = x.p and t.person_num = x.a
          returning t.project_id, x.n as person_num, t.key, t.value, t.set_at, t.unset
        ),
        newest as (
          select distinct on (project_id, person_num, key) *
            from moved order by project_id, person_num, key, set_at desc
        )
        insert into analytics_person_traits as t (project_id, person_num, key, value, set_at, unset)
        select project_id, person_num, key, value, set_at, unset from newest
        on conflict (project_id, person_num, key) do update
           set value = excluded.value, set_at = excluded.set_at, unset = excluded.unset
         where excluded.set_at > t.set_at`,
  );
}
