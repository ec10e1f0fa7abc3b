/** The active filters as removable chips; each applies to every card, chart and table of the dashboard. */
import { For, Show } from "solid-js";
import type { Filter } from "../lib/dashboard-state.ts";
import { describeFilter } from "../lib/dimensions.ts";

export function FilterChips(props: { filters: Filter[]; onRemove: (filter: Filter) => void; onClear: () => void }) {
  return (
    <Show when={props.filters.length > 0}>
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
