/**
 * Before an analytics read runs, every cohort filter of its input is evaluated once (at the call's time) and its
 * member set attached to the filter (server/analytics/cohort-filter-members.ts), expanded from persons to every user
 * num of each member person: the engine's masks and the raw-events SQL then test the event's user num directly.
 * Called by the analytics middleware (server/http/trpc/analytics-limits.ts) and the export route.
 */
import { type AnalyticsFilter, type CohortFilter, isCohortFilter } from "../../../shared/analytics.ts";
import type { Database } from "../../db/client.ts";
import { findCohort } from "../../queries/cohorts/find-cohort.ts";
import { attachCohortMembers } from "../cohort-filter-members.ts";
import type { QueryEngine } from "../engine/query-engine.ts";
import { type CohortMembers, computeCohortMembers } from "./compute-cohort-members.ts";

/** A cohort filter naming no cohort of the project (unknown, deleted, or another project's). */
export class CohortNotFoundError extends Error {
  constructor(readonly cohortId: string) {
    super(`No cohort ${cohortId} in this project.`);
  }
}

/** The byte-per-user-num set of a person set: a user is a member when its person is. */
export function membersByUser(cohort: CohortMembers): Uint8Array {
  const { members, personOf } = cohort;
  if (personOf === null) return members;
  const byUser = new Uint8Array(Math.max(members.length, personOf.length));
  for (let num = 0; num < byUser.length; num++) {
    const person = num < personOf.length ? personOf[num]! : num;
    byUser[num] = person < members.length ? members[person]! : 0;
  }
  return byUser;
}

/**
 * The last member set handed out per cohort, per engine: a call whose evaluation gives the same persons under the
 * same version (so the same person map) gets the same array object, and with it the per-segment masks already
 * computed for it (filter-masks.ts memberSlots). That is what the cards of one dashboard load share. Bounded: each
 * remembered set keeps its masks alive (a byte per event of the ranges it filtered: 6.7 MB for 60 days at 10 M).
 */
const MAX_REMEMBERED = 8;
const lastSets = new WeakMap<QueryEngine, Map<string, { version: string; members: Uint8Array; byUser: Uint8Array }>>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** The byte-per-user set of `cohort`, the previous call's array when equal (see lastSets). */
function sharedByUser(engine: QueryEngine, key: string, cohort: CohortMembers): Uint8Array {
  let remembered = lastSets.get(engine);
  if (!remembered) {
    remembered = new Map();
    lastSets.set(engine, remembered);
  }
  const last = remembered.get(key);
  if (last && last.version === cohort.version && sameBytes(last.members, cohort.members)) return last.byUser;
  const byUser = membersByUser(cohort);
  remembered.delete(key);
  remembered.set(key, { version: cohort.version, members: cohort.members, byUser });
  if (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  return byUser;
}

/** Every cohort filter among `filterLists`, evaluated at `at` and attached (each cohort evaluated once). */
export async function resolveCohortFilters(
  db: Database,
  engine: QueryEngine,
  projectId: string,
  filterLists: ReadonlyArray<readonly AnalyticsFilter[] | undefined>,
  at: number,
): Promise<void> {
  const cohortFilters = filterLists.flatMap((filters) => (filters ?? []).filter(isCohortFilter)) as CohortFilter[];
  if (cohortFilters.length === 0) return;
  const load = async (cohortId: string) => (await findCohort(db, { projectId, cohortId }))?.definition ?? null;
  const byCohort = new Map<string, Uint8Array>();
  for (const filter of cohortFilters) {
    let byUser = byCohort.get(filter.value);
    if (!byUser) {
      const cohort = await findCohort(db, { projectId, cohortId: filter.value });
      if (!cohort) throw new CohortNotFoundError(filter.value);
      const members = await computeCohortMembers(
        db,
        engine,
        { projectId, definition: cohort.definition, at, cohortId: cohort.id },
        load,
      );
      byUser = sharedByUser(engine, `${projectId}/${cohort.id}`, members);
      byCohort.set(filter.value, byUser);
    }
    attachCohortMembers(filter, byUser);
  }
}
