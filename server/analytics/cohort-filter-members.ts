/**
 * The member set a cohort filter stands for during one call. A cohort filter ({ dimension: "cohort", value: id })
 * names a definition; before any reader runs, resolveCohortFilters (server/analytics/cohorts) evaluates it once and
 * attaches the result to that filter object here, so the engine's masks (filter-masks.ts) and the raw-events SQL
 * (event-filter-sql.ts) both test "is this event's user a member" without evaluating again or knowing about
 * cohorts. The set is indexed by user num (every alias of a member person is marked), so neither needs the person
 * map. Held weakly: it lives as long as the call's input.
 */
import type { CohortFilter } from "../../shared/analytics.ts";

const membersByFilter = new WeakMap<CohortFilter, Uint8Array>();

/** Attaches a resolved member set (a byte per user num: 1 = member) to a cohort filter of the current call. */
export function attachCohortMembers(filter: CohortFilter, byUser: Uint8Array): void {
  membersByFilter.set(filter, byUser);
}

/** The member set attached to `filter`; throws when the call skipped resolution (a programming error, not input). */
export function cohortMembersOf(filter: CohortFilter): Uint8Array {
  const members = membersByFilter.get(filter);
  if (!members) throw new Error("cohort filter used before resolveCohortFilters evaluated it");
  return members;
}
