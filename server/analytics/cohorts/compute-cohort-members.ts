/**
 * Evaluates a cohort definition (shared/cohorts.ts) into its member set: a byte per person num (1 = member), over
 * the project's people: the live user nums (an analytics_users row: a deleted person's nums stay handed out, and
 * must not satisfy "did not perform"; cohort-evaluations.ts liveUsers) that are canonical persons after alias links
 * (the person map sends them to themselves). Exact, and fast because no condition reads raw events:
 *   - an event condition counts matching events per user num over the engine's columns of its window, shared by
 *     the calls of the process under the same data version (cohort-evaluations.ts), then sums them per person;
 *   - a trait condition is one indexed read of analytics_person_traits, shared the same way (traits belong to
 *     persons already; they are still sent through the person map in case a link landed since);
 *   - a cohort reference evaluates the other cohort at the same instant (memoised for the call).
 * Groups AND their conditions and OR each other, byte by byte. Throws CohortEngineUnavailableError while the engine
 * does not serve the project (its upgrade backfill is running): cohorts need it.
 */
import type { CohortCondition, CohortDefinition } from "../../../shared/cohorts.ts";
import type { Database } from "../../db/client.ts";
import type { Members, QueryEngine } from "../engine/query-engine.ts";
import {
  CohortEngineUnavailableError,
  type CohortEvaluations,
  cohortEvaluationsOf,
  type DataVersion,
  readDataVersion,
} from "./cohort-evaluations.ts";

export { CohortEngineUnavailableError, windowSpan } from "./cohort-evaluations.ts";

/** A cohort's members at one instant: `members[personNum]` is 1 for a member. */
export interface CohortMembers {
  members: Uint8Array;
  /** The person map the set was computed with (null: no links, every num is its own person). */
  personOf: Int32Array | null;
  size: number;
  /** The data version it was computed under (cohort-evaluations.ts). */
  version: string;
}

/** How the evaluation finds the definitions of referenced cohorts (null: unknown or deleted). */
export type LoadCohortDefinition = (cohortId: string) => Promise<CohortDefinition | null>;

/** Thrown for a definition the evaluator cannot use (a reference to a missing cohort, or a cycle). */
export class CohortReferenceError extends Error {}

interface Evaluation {
  db: Database;
  engine: QueryEngine;
  projectId: string;
  at: number;
  people: Members;
  /** Every person: live user nums that are their own person. */
  persons: Uint8Array;
  version: string;
  dataVersion: DataVersion;
  shared: CohortEvaluations;
  load: LoadCohortDefinition;
  memo: Map<string, Uint8Array>;
  visiting: Set<string>;
}

/** The member set of `definition` evaluated at `at` (ms: relative windows end there). */
export async function computeCohortMembers(
  db: Database,
  engine: QueryEngine,
  input: { projectId: string; definition: CohortDefinition; at: number; cohortId?: string },
  load: LoadCohortDefinition,
): Promise<CohortMembers> {
  // The version first: whatever the reads below see is at least as new as it.
  const version = await readDataVersion(db, input.projectId);
  const people = version.ready ? await engine.personSpace(db, input.projectId) : null;
  if (!people) throw new CohortEngineUnavailableError("the query engine does not serve this project yet");
  const shared = cohortEvaluationsOf(engine);
  const live = await shared.liveUsers(db, input.projectId, version.removals, people.userSpace);
  const evaluation: Evaluation = {
    db,
    engine,
    projectId: input.projectId,
    at: input.at,
    people,
    persons: everyone(people, live),
    version: `${version.key};${people.userSpace}`,
    dataVersion: version,
    shared,
    load,
    memo: new Map(),
    visiting: new Set(input.cohortId ? [input.cohortId] : []),
  };
  const members = await evaluateDefinition(evaluation, input.definition);
  let size = 0;
  for (let num = 0; num < members.length; num++) size += members[num]!;
  return { members, personOf: people.personOf, size, version: evaluation.version };
}

/** Every person of the project: live nums 1..userSpace that are their own person. */
function everyone(people: Members, live: Uint8Array): Uint8Array {
  const set = new Uint8Array(people.userSpace + 1);
  const personOf = people.personOf;
  for (let num = 1; num <= people.userSpace; num++) {
    if (live[num] === 1 && (personOf === null || num >= personOf.length || personOf[num] === num)) set[num] = 1;
  }
  return set;
}

async function evaluateDefinition(evaluation: Evaluation, definition: CohortDefinition): Promise<Uint8Array> {
  const union = new Uint8Array(evaluation.people.userSpace + 1);
  const persons = evaluation.persons;
  for (const group of definition.groups) {
    const all = persons.slice();
    for (const condition of group.conditions) {
      const holds = await evaluateCondition(evaluation, condition, persons);
      for (let num = 0; num < all.length; num++) all[num]! &= holds[num]!;
    }
    for (let num = 0; num < union.length; num++) union[num]! |= all[num]!;
  }
  return union;
}

/** The people for whom `condition` holds, as a byte per person num (only persons are ever marked). */
async function evaluateCondition(
  evaluation: Evaluation,
  condition: CohortCondition,
  everyPerson: Uint8Array,
): Promise<Uint8Array> {
  const persons = everyPerson.slice();
  switch (condition.type) {
    case "performed":
    case "not_performed": {
      const counts = await personCounts(evaluation, condition);
      const n = condition.type === "performed" ? condition.count : 0;
      const operator = condition.type === "performed" ? condition.operator : "exactly";
      for (let num = 0; num < persons.length; num++) {
        if (persons[num] === 0) continue;
        const count = counts[num]!;
        const holds = operator === "at_least" ? count >= n : operator === "at_most" ? count <= n : count === n;
        if (!holds) persons[num] = 0;
      }
      return persons;
    }
    case "trait": {
      const matching = await traitMatches(evaluation, condition);
      const negate = condition.op === "neq";
      for (let num = 0; num < persons.length; num++) {
        if (persons[num] === 0) continue;
        if ((matching[num] === 1) === negate) persons[num] = 0;
      }
      return persons;
    }
    case "cohort": {
      const other = await referencedMembers(evaluation, condition.cohortId);
      const keep = condition.op === "in" ? 1 : 0;
      for (let num = 0; num < persons.length; num++) {
        if (persons[num] === 0) continue;
        if ((other[num] ?? 0) !== keep) persons[num] = 0;
      }
      return persons;
    }
  }
}

/** Per person num: how many of the condition's events fall in its window (user counts summed per person). */
async function personCounts(
  evaluation: Evaluation,
  condition: Extract<CohortCondition, { type: "performed" | "not_performed" }>,
): Promise<Int32Array> {
  const { people } = evaluation;
  const byUser = await evaluation.shared.eventCounts(
    evaluation.db,
    evaluation.engine,
    evaluation.projectId,
    evaluation.dataVersion,
    people.userSpace,
    { event: condition.event, filters: condition.filters ?? [], window: condition.window },
    evaluation.at,
  );
  const personOf = people.personOf;
  if (personOf === null) return byUser;
  const counts = new Int32Array(people.userSpace + 1);
  for (let num = 0; num <= people.userSpace; num++) {
    const count = byUser[num]!;
    if (count === 0) continue;
    const person = num < personOf.length ? personOf[num]! : num;
    if (person <= people.userSpace) counts[person]! += count;
  }
  return counts;
}

/** Persons whose trait matches (for neq: equals, negated by the caller). */
async function traitMatches(
  evaluation: Evaluation,
  condition: Extract<CohortCondition, { type: "trait" }>,
): Promise<Uint8Array> {
  const nums = await evaluation.shared.traitNums(evaluation.db, evaluation.projectId, evaluation.version, condition);
  const set = new Uint8Array(evaluation.people.userSpace + 1);
  const personOf = evaluation.people.personOf;
  for (const num of nums) {
    const person = personOf === null || num >= personOf.length ? num : personOf[num]!;
    if (person <= evaluation.people.userSpace) set[person] = 1;
  }
  return set;
}

async function referencedMembers(evaluation: Evaluation, cohortId: string): Promise<Uint8Array> {
  const known = evaluation.memo.get(cohortId);
  if (known) return known;
  if (evaluation.visiting.has(cohortId)) throw new CohortReferenceError(`cohort ${cohortId} refers to itself`);
  const definition = await evaluation.load(cohortId);
  if (!definition) throw new CohortReferenceError(`cohort ${cohortId} is unknown or was deleted`);
  evaluation.visiting.add(cohortId);
  const members = await evaluateDefinition(evaluation, definition);
  evaluation.visiting.delete(cohortId);
  evaluation.memo.set(cohortId, members);
  return members;
}
