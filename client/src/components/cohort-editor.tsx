/**
 * The cohort condition builder: a name and groups of conditions (a person matches every condition of at least one
 * group). Each condition is one of the contract's kinds (shared/cohorts.ts): performed an event N times in the last
 * D days or a fixed range, did not perform it, a trait, another cohort. Limits come from shared/cohort-constants.ts;
 * the server checks everything again and its refusals (with the path of the bad part) show under the form.
 */
import { createSignal, For, Index, Show } from "solid-js";
import { createStore, produce } from "solid-js/store";
import {
  COHORT_COUNT_OPERATOR_LABELS,
  COHORT_COUNT_OPERATORS,
  COHORT_FILTER_OP_LABELS,
  COHORT_FILTER_OPS,
  COHORT_TRAIT_OP_LABELS,
  COHORT_TRAIT_OPS,
  MAX_COHORT_CONDITIONS,
  MAX_COHORT_GROUPS,
  MAX_COHORT_WINDOW_DAYS,
} from "../../../shared/cohort-constants.ts";
import type { CohortCondition, CohortDefinition } from "../../../shared/cohorts.ts";
import { FormError } from "./query-boundary.tsx";

type ConditionType = CohortCondition["type"];
const TYPE_LABELS: Record<ConditionType, string> = {
  performed: "Performed an event",
  not_performed: "Did not perform an event",
  trait: "Has a trait",
  cohort: "Is in a cohort",
};

const DAY = 86_400_000;
const dateInput = (iso: string) => iso.slice(0, 10);

function newCondition(type: ConditionType): CohortCondition {
  const window = { kind: "relative" as const, days: 30 };
  switch (type) {
    case "performed":
      return { type, event: "", operator: "at_least", count: 1, window };
    case "not_performed":
      return { type, event: "", window };
    case "trait":
      return { type, key: "", op: "eq", value: "" };
    case "cohort":
      return { type, op: "in", cohortId: "" };
  }
}

export function CohortEditor(props: {
  initialName?: string;
  initialDefinition?: CohortDefinition;
  /** The project's other cohorts, for "is in a cohort". */
  cohorts: ReadonlyArray<{ id: string; name: string }>;
  pending: boolean;
  error: unknown;
  submitLabel: string;
  onSubmit: (name: string, definition: CohortDefinition) => void;
  onCancel: () => void;
}) {
  const [name, setName] = createSignal(props.initialName ?? "");
  const [definition, setDefinition] = createStore<CohortDefinition>(
    structuredClone(props.initialDefinition ?? { groups: [{ conditions: [newCondition("performed")] }] }),
  );
  const edit = (fn: (d: CohortDefinition) => void) => setDefinition(produce(fn));

  return (
    <form
      class="flex flex-col gap-4"
      aria-label="Cohort definition"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit(name().trim(), structuredClone(JSON.parse(JSON.stringify(definition))));
      }}
    >
      <div class="max-w-md">
        <label class="field-label" for="cohort-name">
          Name
        </label>
        <input
          id="cohort-name"
          class="field-input"
          required
          maxLength={200}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </div>
      <Index each={definition.groups}>
        {(group, g) => (
          <fieldset class="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
            <legend class="px-1 text-sm font-medium">
              {g === 0 ? "People who match all of" : "Or people who match all of"}
            </legend>
            <div class="flex flex-col gap-2">
              <Index each={group().conditions}>
                {(condition, c) => (
                  <ConditionRow
                    condition={condition()}
                    cohorts={props.cohorts}
                    label={`Group ${g + 1}, condition ${c + 1}`}
                    onChange={(next) =>
                      edit((d) => {
                        d.groups[g]!.conditions[c] = next;
                      })
                    }
                    onRemove={() =>
                      edit((d) => {
                        d.groups[g]!.conditions.splice(c, 1);
                        if (d.groups[g]!.conditions.length === 0 && d.groups.length > 1) d.groups.splice(g, 1);
                      })
                    }
                  />
                )}
              </Index>
            </div>
            <Show when={group().conditions.length < MAX_COHORT_CONDITIONS}>
              <button
                type="button"
                class="link mt-2 text-sm"
                onClick={() =>
                  edit((d) => {
                    d.groups[g]!.conditions.push(newCondition("performed"));
                  })
                }
              >
                And another condition
              </button>
            </Show>
          </fieldset>
        )}
      </Index>
      <Show when={definition.groups.length < MAX_COHORT_GROUPS}>
        <button
          type="button"
          class="btn-secondary self-start py-1.5"
          onClick={() =>
            edit((d) => {
              d.groups.push({ conditions: [newCondition("performed")] });
            })
          }
        >
          Or another group
        </button>
      </Show>
      <FormError error={props.error} />
      <div class="flex gap-2">
        <button type="submit" class="btn-primary" disabled={props.pending}>
          {props.submitLabel}
        </button>
        <button type="button" class="btn-secondary" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ConditionRow(props: {
  condition: CohortCondition;
  cohorts: ReadonlyArray<{ id: string; name: string }>;
  label: string;
  onChange: (condition: CohortCondition) => void;
  onRemove: () => void;
}) {
  const c = () => props.condition;
  const patch = (fields: Partial<CohortCondition>) => props.onChange({ ...c(), ...fields } as CohortCondition);
  const field = "field-input py-1.5";
  return (
    // biome-ignore lint/a11y/useSemanticElements: one row of a form's repeated fields, labelled for screen readers.
    <div class="flex flex-wrap items-center gap-2" role="group" aria-label={props.label}>
      <select
        class={field}
        aria-label="Kind of condition"
        value={c().type}
        onChange={(e) => props.onChange(newCondition(e.currentTarget.value as ConditionType))}
      >
        <For each={Object.keys(TYPE_LABELS) as ConditionType[]}>
          {(type) => <option value={type}>{TYPE_LABELS[type]}</option>}
        </For>
      </select>
      <Show when={c().type === "performed" || c().type === "not_performed"}>
        <EventFields
          condition={c() as Extract<CohortCondition, { type: "performed" | "not_performed" }>}
          patch={patch}
        />
      </Show>
      <Show when={c().type === "trait"}>
        {(() => {
          const t = () => c() as Extract<CohortCondition, { type: "trait" }>;
          return (
            <>
              <input
                class={`${field} w-32`}
                aria-label="Trait key"
                placeholder="plan"
                value={t().key}
                onInput={(e) => patch({ key: e.currentTarget.value })}
              />
              <select
                class={field}
                aria-label="Trait condition"
                value={t().op}
                onChange={(e) => {
                  const op = e.currentTarget.value as (typeof COHORT_TRAIT_OPS)[number];
                  props.onChange(
                    op === "is_set"
                      ? { type: "trait", key: t().key, op }
                      : { type: "trait", key: t().key, op, value: t().value ?? "" },
                  );
                }}
              >
                <For each={COHORT_TRAIT_OPS}>{(op) => <option value={op}>{COHORT_TRAIT_OP_LABELS[op]}</option>}</For>
              </select>
              <Show when={t().op !== "is_set"}>
                <input
                  class={`${field} w-36`}
                  aria-label="Trait value"
                  value={t().value ?? ""}
                  onInput={(e) => patch({ value: e.currentTarget.value })}
                />
              </Show>
            </>
          );
        })()}
      </Show>
      <Show when={c().type === "cohort"}>
        {(() => {
          const r = () => c() as Extract<CohortCondition, { type: "cohort" }>;
          return (
            <>
              <select
                class={field}
                aria-label="In or not in"
                value={r().op}
                onChange={(e) => patch({ op: e.currentTarget.value as (typeof COHORT_FILTER_OPS)[number] })}
              >
                <For each={COHORT_FILTER_OPS}>{(op) => <option value={op}>{COHORT_FILTER_OP_LABELS[op]}</option>}</For>
              </select>
              <select
                class={field}
                aria-label="Cohort"
                value={r().cohortId}
                onChange={(e) => patch({ cohortId: e.currentTarget.value })}
              >
                <option value="">Choose a cohort</option>
                <For each={props.cohorts}>{(other) => <option value={other.id}>{other.name}</option>}</For>
              </select>
            </>
          );
        })()}
      </Show>
      <button type="button" class="link text-sm" onClick={() => props.onRemove()} aria-label={`Remove ${props.label}`}>
        Remove
      </button>
    </div>
  );
}

function EventFields(props: {
  condition: Extract<CohortCondition, { type: "performed" | "not_performed" }>;
  patch: (fields: Partial<CohortCondition>) => void;
}) {
  const field = "field-input py-1.5";
  const window = () => props.condition.window;
  return (
    <>
      <input
        class={`${field} w-36`}
        aria-label="Event name"
        placeholder="purchase"
        value={props.condition.event}
        onInput={(e) => props.patch({ event: e.currentTarget.value })}
      />
      <Show when={props.condition.type === "performed"}>
        {(() => {
          const p = () => props.condition as Extract<CohortCondition, { type: "performed" }>;
          return (
            <>
              <select
                class={field}
                aria-label="How many times"
                value={p().operator}
                onChange={(e) =>
                  props.patch({ operator: e.currentTarget.value as (typeof COHORT_COUNT_OPERATORS)[number] })
                }
              >
                <For each={COHORT_COUNT_OPERATORS}>
                  {(op) => <option value={op}>{COHORT_COUNT_OPERATOR_LABELS[op]}</option>}
                </For>
              </select>
              <input
                class={`${field} w-20`}
                type="number"
                min="0"
                aria-label="Times"
                value={p().count}
                onInput={(e) => props.patch({ count: Number(e.currentTarget.value) })}
              />
              <span class="text-sm text-muted">times</span>
            </>
          );
        })()}
      </Show>
      <select
        class={field}
        aria-label="When"
        value={window().kind}
        onChange={(e) =>
          props.patch({
            window:
              e.currentTarget.value === "relative"
                ? { kind: "relative", days: 30 }
                : {
                    kind: "range",
                    from: new Date(Date.now() - 30 * DAY).toISOString(),
                    to: new Date().toISOString(),
                  },
          })
        }
      >
        <option value="relative">in the last</option>
        <option value="range">between</option>
      </select>
      <Show
        when={window().kind === "relative"}
        fallback={(() => {
          const w = () =>
            window() as Extract<
              CohortDefinition["groups"][number]["conditions"][number],
              { type: "performed" }
            >["window"] & { kind: "range" };
          return (
            <>
              <input
                class={field}
                type="date"
                aria-label="From"
                value={dateInput(w().from)}
                onInput={(e) => props.patch({ window: { ...w(), from: `${e.currentTarget.value}T00:00:00Z` } })}
              />
              <span class="text-sm text-muted">and</span>
              <input
                class={field}
                type="date"
                aria-label="To"
                value={dateInput(w().to)}
                onInput={(e) => props.patch({ window: { ...w(), to: `${e.currentTarget.value}T00:00:00Z` } })}
              />
            </>
          );
        })()}
      >
        <input
          class={`${field} w-20`}
          type="number"
          min="1"
          max={MAX_COHORT_WINDOW_DAYS}
          aria-label="Days"
          value={(window() as { days: number }).days}
          onInput={(e) => props.patch({ window: { kind: "relative", days: Number(e.currentTarget.value) } })}
        />
        <span class="text-sm text-muted">days</span>
      </Show>
    </>
  );
}
