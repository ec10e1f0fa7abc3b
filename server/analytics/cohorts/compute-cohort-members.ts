/**
 * Evaluates a cohort definition (shared/cohorts.ts) into its member set: a byte per person num (1 = member), over
 * the people the engine counts (canonical persons after alias links: a num is a person when the person map sends it
 * to itself; nums 1..userSpace were handed out). Exact, and fast because no condition reads raw events:
 *   - an event condition is one pass over the engine's columns of its window (time, user, event name and its
 *     filters' columns, all from the segment cache), counting matching events per person in an Int32Array;
 *   - a trait condition is one indexed read of analytics_person_traits (traits belong to persons already; they are
 *     still sent through the person map in case a link landed since);
 *   - a cohort reference evaluates the other cohort at the same instant (memoised for the call).
 * Groups AND their conditions and OR each other, byte by byte. Answers null while the engine does not serve the
 * project (its upgrade backfill is running): cohorts need it.
 */
import { sql } from "drizzle-orm";
import type { DimensionFilter } from "../../../shared/analytics.ts";
import type { CohortCondition, CohortDefinition, CohortWindow } from "../../../shared/cohorts.ts";
import { type Database, queryRows } from "../../db/client.ts";
import { lowerBound } from "../engine/evaluate.ts";
import { filterMask } from "../engine/filter-masks.ts";
import type { Members, QueryEngine } from "../engine/query-engine.ts";

const DAY_MS = 86_400_000;

/** A cohort's members at one instant: `members[personNum]` is 1 for a member. */
export interface CohortMembers {
  members: Uint8Array;
  /** The person map the set was computed with (null: no links, every num is its own person). */
  personOf: Int32Array | null;
  size: number;
}

/** How the evaluation finds the definitions of referenced cohorts (null: unknown or deleted). */
export type LoadCohortDefinition = (cohortId: string) => Promise<CohortDefinition | null>;

/** Thrown for a definition the evaluator cannot use (a reference to a missing cohort, or a cycle). */
export class CohortReferenceError extends Error {}

/** Thrown while the engine does not serve the project (upgrade backfill running). */
export class CohortEngineUnavailableError extends Error {}

interface Evaluation {
  db: Database;
  engine: QueryEngine;
  projectId: string;
  at: number;
  people: Members;
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
  const people = await engine.personSpace(db, input.projectId);
  if (!people) throw new CohortEngineUnavailableError("the query engine does not serve this project yet");
  const evaluation: Evaluation = {
    db,
    engine,
    projectId: input.projectId,
    at: input.at,
    people,
    load,
    memo: new Map(),
    visiting: new Set(input.cohortId ? [input.cohortId] : []),
  };
  const members = await evaluateDefinition(evaluation, input.definition);
  let size = 0;
  for (let num = 0; num < members.length; num++) size += members[num]!;
  return { members, personOf: people.personOf, size };
}

/** Every person of the project: nums 1..userSpace that are their own person. */
function everyone(people: Members): Uint8Array {
  const set = new Uint8Array(people.userSpace + 1);
  const personOf = people.personOf;
  for (let num = 1; num <= people.userSpace; num++) {
    if (personOf === null || num >= personOf.length || personOf[num] === num) set[num] = 1;
  }
  return set;
}

async function evaluateDefinition(evaluation: Evaluation, definition: CohortDefinition): Promise<Uint8Array> {
  const union = new Uint8Array(evaluation.people.userSpace + 1);
  for (const group of definition.groups) {
    const all = everyone(evaluation.people);
    for (const condition of group.conditions) {
      const holds = await evaluateCondition(evaluation, condition);
      for (let num = 0; num < all.length; num++) all[num]! &= holds[num]!;
    }
    for (let num = 0; num < union.length; num++) union[num]! |= all[num]!;
  }
  return union;
}

/** The people for whom `condition` holds, as a byte per person num (only persons are ever marked). */
async function evaluateCondition(evaluation: Evaluation, condition: CohortCondition): Promise<Uint8Array> {
  const persons = everyone(evaluation.people);
  switch (condition.type) {
    case "performed": {
      const counts = await countEvents(evaluation, condition.event, condition.filters ?? [], condition.window);
      const n = condition.count;
      for (let num = 0; num < persons.length; num++) {
        if (persons[num] === 0) continue;
        const count = counts[num]!;
        const holds =
          condition.operator === "at_least" ? count >= n : condition.operator === "at_most" ? count <= n : count === n;
        if (!holds) persons[num] = 0;
      }
      return persons;
    }
    case "not_performed": {
      const counts = await countEvents(evaluation, condition.event, condition.filters ?? [], condition.window);
      for (let num = 0; num < persons.length; num++) if (counts[num] !== 0) persons[num] = 0;
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

/** [from, to) of a window at the evaluation instant. */
export function windowSpan(window: CohortWindow, at: number): { from: number; to: number } {
  if (window.kind === "relative") return { from: at - window.days * DAY_MS, to: at };
  return { from: Date.parse(window.from), to: Date.parse(window.to) };
}

/** Per person num: how many events named `event` passing `filters` fall in the window. */
async function countEvents(
  evaluation: Evaluation,
  event: string,
  filters: readonly DimensionFilter[],
  window: CohortWindow,
): Promise<Int32Array> {
  const span = windowSpan(window, evaluation.at);
  const space = evaluation.people.userSpace;
  const counts = new Int32Array(space + 1);
  if (span.from >= span.to) return counts;
  const all: DimensionFilter[] = [{ dimension: "event_name", op: "eq", value: event }, ...filters];
  const counted = await evaluation.engine.scan(
    evaluation.db,
    evaluation.projectId,
    span,
    all,
    [],
    (segments, members) => {
      const personOf = members.personOf;
      for (const segment of segments) {
        const lo = lowerBound(segment.ts, span.from);
        const hi = lowerBound(segment.ts, span.to);
        if (lo >= hi) continue;
        const mask = filterMask(all, segment.filterColumns, lo, hi);
        const users = segment.users!;
        for (let i = lo; i < hi; i++) {
          if (mask !== null && mask[i - lo] === 0) continue;
          const user = users[i]!;
          if (user < 0) continue;
          const person = personOf === null || user >= personOf.length ? user : personOf[user]!;
          // A person first seen after this evaluation began is outside its space (and in no cohort yet).
          if (person <= space) counts[person]!++;
        }
      }
      return true;
    },
  );
  if (counted === null) throw new CohortEngineUnavailableError("the query engine does not serve this project yet");
  return counts;
}

/** Persons whose trait matches (for neq: equals, negated by the caller). */
async function traitMatches(
  evaluation: Evaluation,
  condition: Extract<CohortCondition, { type: "trait" }>,
): Promise<Uint8Array> {
  const text = sql`(t.value #>> '{}')`;
  const value = condition.value ?? "";
  const test =
    condition.op === "is_set"
      ? sql`coalesce(${text} <> '', false)`
      : condition.op === "contains"
        ? sql`strpos(lower(${text}), lower(${value}::text)) > 0`
        : sql`${text} = ${value}::text`;
  const rows = await queryRows<{ person_num: string | number }>(
    evaluation.db,
    sql`select t.person_num from analytics_person_traits t
         where t.project_id = ${evaluation.projectId}::uuid and t.key = ${condition.key}::text and not t.unset
           and ${test}`,
  );
  const set = new Uint8Array(evaluation.people.userSpace + 1);
  const personOf = evaluation.people.personOf;
  for (const row of rows) {
    const num = Number(row.person_num);
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
