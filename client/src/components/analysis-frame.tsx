/**
 * The frame of an analysis page: breadcrumb, title, the project's sections, and the period, time zone and filters
 * the dashboard uses (same URL parameters, so switching pages keeps them).
 */
import { A, useSearchParams } from "@solidjs/router";
import { useQuery } from "@tanstack/solid-query";
import { createMemo, type JSX } from "solid-js";
import {
  addFilterPatch,
  type DashboardState,
  describePeriod,
  type Filter,
  filtersPatch,
  readDashboardState,
  removeFilterPatch,
  type SearchPatch,
} from "../lib/dashboard-state.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { projectQuery } from "../lib/queries.ts";
import { AnalysisNav } from "./analysis-nav.tsx";
import { FilterBuilder } from "./filter-builder.tsx";
import { FilterChips } from "./filter-chips.tsx";
import { PeriodPicker } from "./period-picker.tsx";
import { QueryBoundary } from "./query-boundary.tsx";

export function AnalysisFrame(props: {
  projectId: string;
  title: string;
  children: (state: () => DashboardState) => JSX.Element;
}) {
  const [search, setSearch] = useSearchParams();
  const state = createMemo(() => readDashboardState(search));
  const update = (patch: SearchPatch) => setSearch(patch);
  const project = useQuery(() => projectQuery(props.projectId));
  usePageTitle(() => (project.data ? `${props.title} · ${project.data.name}` : undefined));
  return (
    <QueryBoundary query={project} label="Loading the project" skeletonClass="h-40">
      {(p) => (
        <div class="flex min-w-0 flex-col gap-5">
          <div class="min-w-0">
            <nav aria-label="Breadcrumb" class="text-xs text-muted">
              <A href="/projects" class="link">
                Projects
              </A>{" "}
              / {p().name}
            </nav>
            <h1 class="mt-1 truncate text-2xl font-semibold tracking-tight">{props.title}</h1>
            <p class="text-sm text-muted">{describePeriod(state())}</p>
          </div>
          <AnalysisNav projectId={p().id} />
          <div class="flex flex-col gap-3 border-b border-zinc-200 pb-4 dark:border-zinc-800">
            <PeriodPicker state={state()} onChange={update} />
            <div class="flex flex-wrap items-end gap-3">
              <FilterBuilder
                projectId={props.projectId}
                onAdd={(filter: Filter) => update(addFilterPatch(state(), filter))}
              />
              <FilterChips
                projectId={props.projectId}
                filters={state().filters}
                onRemove={(filter: Filter) => update(removeFilterPatch(state(), filter))}
                onClear={() => update(filtersPatch([]))}
              />
            </div>
          </div>
          {props.children(state)}
        </div>
      )}
    </QueryBoundary>
  );
}

/** A text input with the project's own values to pick from (a datalist: type to search, or any value). */
export function ValuePicker(props: {
  id: string;
  label: string;
  value: string;
  placeholder: string;
  choices: readonly string[];
  onChange: (value: string) => void;
}) {
  return (
    <div class="min-w-0 flex-1 basis-48">
      <label for={props.id} class="field-label">
        {props.label}
      </label>
      <input
        id={props.id}
        class="field-input"
        list={`${props.id}-choices`}
        value={props.value}
        placeholder={props.placeholder}
        autocomplete="off"
        onChange={(event) => props.onChange(event.currentTarget.value.trim())}
      />
      <datalist id={`${props.id}-choices`}>
        {props.choices.map((choice) => (
          <option value={choice} />
        ))}
      </datalist>
    </div>
  );
}
