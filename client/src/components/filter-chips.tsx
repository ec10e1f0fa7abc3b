/** The active filters as removable chips; each applies to every card, chart and table of the dashboard. */
import { useQuery } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import { type Filter, isCohortFilter } from "../lib/dashboard-state.ts";
import { describeFilter } from "../lib/dimensions.ts";
import { cohortNamesQuery } from "../lib/queries.ts";

/**
 * `projectId`: the project whose cohorts a cohort chip names (loaded only when one is shown: a dashboard opened from
 * a link with a cohort filter would otherwise read "In cohort 3f2a…"). Left out where the viewer cannot list the
 * project's cohorts (a share link).
 */
export function FilterChips(props: {
  filters: Filter[];
  onRemove: (filter: Filter) => void;
  onClear: () => void;
  projectId?: string;
}) {
  return (
    <Show when={props.filters.length > 0}>
      <Show when={props.projectId !== undefined && props.filters.some(isCohortFilter) && props.projectId}>
        {(projectId) => <CohortNames projectId={projectId()} />}
      </Show>
      {/* biome-ignore lint/a11y/useSemanticElements: a row of removable chips, not a form fieldset. */}
      <div class="flex flex-wrap items-center gap-2" role="group" aria-label="Active filters">
        <span class="text-xs font-medium text-muted">Filtered by</span>
        <For each={props.filters}>
          {(filter) => {
            const text = () => describeFilter(filter);
            return (
              <span class="inline-flex max-w-full items-center gap-1 rounded-full border border-indigo-200 bg-indigo-50 py-0.5 pl-3 pr-1 text-sm text-indigo-900 dark:(border-indigo-800 bg-indigo-950/60 text-indigo-100)">
                <span class="truncate" title={text()}>
                  {text()}
                </span>
                <button
                  type="button"
                  class="focus-ring grid h-6 w-6 shrink-0 place-items-center rounded-full hover:bg-indigo-100 dark:hover:bg-indigo-900"
                  aria-label={`Remove filter: ${text()}`}
                  onClick={() => props.onRemove(filter)}
                >
                  <span aria-hidden="true">×</span>
                </button>
              </span>
            );
          }}
        </For>
        <Show when={props.filters.length > 1}>
          <button type="button" class="link text-sm" onClick={() => props.onClear()}>
            Clear all
          </button>
        </Show>
      </div>
    </Show>
  );
}

/** Loads the project's cohorts, which names them for describeFilter (lib/cohort-names.ts); renders nothing. */
function CohortNames(props: { projectId: string }) {
  useQuery(() => cohortNamesQuery(props.projectId));
  return null;
}
