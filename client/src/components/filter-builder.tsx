/**
 * "Add filter": a small form for any filter the API takes (every dimension or a property, every op). It asks for a
 * value for is / is not / contains / does not contain, for a comma-separated list for "is one of", and for nothing
 * for is set / is not set. With a project, "Cohort" offers in / not in one of its cohorts. The filter reaches the URL through `onAdd` only when it is one the server accepts
 * (filterFromForm), so a half-filled form never fails the cards.
 */
import { useQuery } from "@tanstack/solid-query";
import { createSignal, createUniqueId, For, Show } from "solid-js";
import {
  FILTER_OP_LABELS,
  FILTER_OPS,
  type FilterOp,
  PRESENCE_FILTER_OPS,
} from "../../../shared/analytics-constants.ts";
import { COHORT_DIMENSION, COHORT_FILTER_OP_LABELS, COHORT_FILTER_OPS } from "../../../shared/cohort-constants.ts";
import { DIMENSIONS } from "../../../shared/dimensions.ts";
import { type Filter, filterFromForm } from "../lib/dashboard-state.ts";
import { cohortNamesQuery } from "../lib/queries.ts";

export function FilterBuilder(props: { onAdd: (filter: Filter) => void; projectId?: string }) {
  const id = createUniqueId();
  const [open, setOpen] = createSignal(false);
  const [dimension, setDimension] = createSignal<string>("path");
  const [propertyKey, setPropertyKey] = createSignal("");
  const [op, setOp] = createSignal<FilterOp>("eq");
  const [value, setValue] = createSignal("");
  const [values, setValues] = createSignal("");
  const [error, setError] = createSignal("");
  const isCohort = () => dimension() === COHORT_DIMENSION;
  const takesValue = () => !isCohort() && op() !== "in" && !(PRESENCE_FILTER_OPS as readonly string[]).includes(op());
  const [cohortOp, setCohortOp] = createSignal<string>("in");
  const [cohortId, setCohortId] = createSignal("");

  const apply = (event: SubmitEvent) => {
    event.preventDefault();
    const result = filterFromForm({
      dimension: dimension(),
      propertyKey: propertyKey(),
      op: isCohort() ? cohortOp() : op(),
      value: isCohort() ? cohortId() : value(),
      values: values(),
    });
    if ("error" in result) {
      setError(result.error);
      return;
    }
    setError("");
    setValue("");
    setValues("");
    setOpen(false);
    props.onAdd(result.filter);
  };

  return (
    <div class="flex flex-wrap items-end gap-2">
      <button
        type="button"
        class="btn-secondary py-1.5"
        aria-expanded={open()}
        aria-controls={`${id}-form`}
        onClick={() => setOpen(!open())}
      >
        Add filter
      </button>
      <Show when={open()}>
        <form id={`${id}-form`} class="flex flex-wrap items-end gap-2" onSubmit={apply} aria-label="Add a filter">
          <div>
            <label for={`${id}-dimension`} class="field-label text-xs">
              Dimension
            </label>
            <select
              id={`${id}-dimension`}
              class="field-input py-1.5"
              value={dimension()}
              onChange={(event) => setDimension(event.currentTarget.value)}
            >
              <For each={DIMENSIONS}>{(d) => <option value={d.name}>{d.label}</option>}</For>
              <option value="property">Property…</option>
              <Show when={props.projectId}>
                <option value={COHORT_DIMENSION}>Cohort…</option>
              </Show>
            </select>
          </div>
          <Show when={dimension() === "property"}>
            <div>
              <label for={`${id}-key`} class="field-label text-xs">
                Property key
              </label>
              <input
                id={`${id}-key`}
                class="field-input w-36 py-1.5"
                value={propertyKey()}
                onInput={(event) => setPropertyKey(event.currentTarget.value)}
              />
            </div>
          </Show>
          <Show when={isCohort()}>
            <div>
              <label for={`${id}-cohort-op`} class="field-label text-xs">
                Condition
              </label>
              <select
                id={`${id}-cohort-op`}
                class="field-input py-1.5"
                value={cohortOp()}
                onChange={(event) => setCohortOp(event.currentTarget.value)}
              >
                <For each={COHORT_FILTER_OPS}>{(o) => <option value={o}>{COHORT_FILTER_OP_LABELS[o]}</option>}</For>
              </select>
            </div>
            <CohortPicker
              id={`${id}-cohort`}
              projectId={props.projectId ?? ""}
              value={cohortId()}
              onChange={setCohortId}
            />
          </Show>
          <Show when={!isCohort()}>
            <div>
              <label for={`${id}-op`} class="field-label text-xs">
                Condition
              </label>
              <select
                id={`${id}-op`}
                class="field-input py-1.5"
                value={op()}
                onChange={(event) => setOp(event.currentTarget.value as FilterOp)}
              >
                <For each={FILTER_OPS}>{(o) => <option value={o}>{FILTER_OP_LABELS[o]}</option>}</For>
              </select>
            </div>
          </Show>
          <Show when={takesValue()}>
            <div>
              <label for={`${id}-value`} class="field-label text-xs">
                Value
              </label>
              <input
                id={`${id}-value`}
                class="field-input w-44 py-1.5"
                value={value()}
                onInput={(event) => setValue(event.currentTarget.value)}
              />
            </div>
          </Show>
          <Show when={!isCohort() && op() === "in"}>
            <div>
              <label for={`${id}-values`} class="field-label text-xs">
                Values
              </label>
              <input
                id={`${id}-values`}
                class="field-input w-56 py-1.5"
                placeholder="/pricing, /signup"
                aria-describedby={`${id}-values-hint`}
                value={values()}
                onInput={(event) => setValues(event.currentTarget.value)}
              />
              <p id={`${id}-values-hint`} class="sr-only">
                Separate values with commas.
              </p>
            </div>
          </Show>
          <button type="submit" class="btn-primary py-1.5">
            Apply
          </button>
          <Show when={error()}>
            <p role="alert" class="w-full text-xs text-red-600 dark:text-red-400">
              {error()}
            </p>
          </Show>
        </form>
      </Show>
    </div>
  );
}

/** The project's cohorts to choose from (its own component: only a cohort filter needs the list). */
function CohortPicker(props: { id: string; projectId: string; value: string; onChange: (id: string) => void }) {
  const cohorts = useQuery(() => cohortNamesQuery(props.projectId));
  return (
    <div>
      <label for={props.id} class="field-label text-xs">
        Cohort
      </label>
      <select
        id={props.id}
        class="field-input py-1.5"
        value={props.value}
        onChange={(event) => props.onChange(event.currentTarget.value)}
      >
        <option value="">{cohorts.isLoading ? "Loading…" : "Choose a cohort"}</option>
        <For each={cohorts.data?.items ?? []}>{(c) => <option value={c.id}>{c.name}</option>}</For>
      </select>
    </div>
  );
}
