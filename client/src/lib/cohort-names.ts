/**
 * The names of the project's cohorts as last loaded (cohortNamesQuery and cohortsQuery fill it), so a cohort filter
 * chip reads "In cohort Power users" rather than an id. A signal: chips update when the list arrives.
 */
import { createSignal } from "solid-js";

const [names, setNames] = createSignal<ReadonlyMap<string, string>>(new Map());

export function rememberCohortNames(cohorts: ReadonlyArray<{ id: string; name: string }>): void {
  setNames(new Map([...names(), ...cohorts.map((c): [string, string] => [c.id, c.name])]));
}

/** The cohort's name, or a short form of its id while unknown. */
export function cohortLabel(id: string): string {
  return names().get(id) ?? `${id.slice(0, 8)}…`;
}
