/**
 * A ranked list with bars: each row's bar is its share of the first row. Rows are buttons that add a filter; the
 * values come from tracked data (attacker-controlled), so they are only ever rendered as text.
 */
import { For, Show } from "solid-js";
import { formatExact } from "../lib/format.ts";

/** `count` sizes the bar; `secondary` and `tertiary` are optional further figures. Every figure is exact. */
export type RankedRow = { value: string | null; count: number; secondary?: number; tertiary?: number };

export function RankedList(props: {
  rows: RankedRow[];
  column: string;
  emptyLabel: string;
  onSelect?: (value: string) => void;
  /** The action's wording for screen readers, e.g. "Filter by page". */
  selectLabel?: string;
  secondaryLabel?: string;
  tertiaryLabel?: string;
  /** The header of the count column (default "Count"). */
  countLabel?: string;
}) {
  const max = () => Math.max(1, ...props.rows.map((row) => row.count));
  return (
    <Show
      when={props.rows.length > 0}
      fallback={<p class="py-8 text-center text-sm text-muted">No data for this period.</p>}
    >
      <div class="flex items-center justify-between px-2 pb-1 text-xs font-medium uppercase tracking-wide text-muted">
        <span>{props.column}</span>
        <span class="flex gap-4">
          <Show when={props.secondaryLabel}>
            <span class="hidden min-w-16 text-right sm:inline">{props.secondaryLabel}</span>
          </Show>
          <Show when={props.tertiaryLabel}>
            <span class="hidden min-w-16 text-right sm:inline">{props.tertiaryLabel}</span>
          </Show>
          <span class="min-w-14 text-right">{props.countLabel ?? "Count"}</span>
        </span>
      </div>
      <ul class="flex flex-col gap-1">
        <For each={props.rows}>
          {(row) => {
            const label = () => (row.value === null || row.value === "" ? props.emptyLabel : row.value);
            const selectable = () => Boolean(props.onSelect) && row.value !== null && row.value !== "";
            return (
              <li>
                <button
                  type="button"
                  class="focus-ring group relative flex w-full items-center justify-between gap-3 overflow-hidden rounded-md px-2 py-1.5 text-left text-sm enabled:hover:bg-zinc-50 disabled:cursor-default dark:enabled:hover:bg-zinc-800/60"
                  disabled={!selectable()}
                  title={selectable() ? `${props.selectLabel ?? "Filter by"} ${label()}` : label()}
                  onClick={() => row.value && props.onSelect?.(row.value)}
                >
                  <span
                    aria-hidden="true"
                    class="absolute inset-y-0.5 left-0 rounded-md bg-indigo-500/12 transition-all group-enabled:group-hover:bg-indigo-500/20 dark:bg-indigo-400/15"
                    style={{ width: `${Math.max(2, (row.count / max()) * 100)}%` }}
                  />
                  <span class={`relative min-w-0 truncate ${row.value ? "" : "italic text-muted"}`}>
                    <span class="sr-only">{selectable() ? `${props.selectLabel ?? "Filter by"}: ` : ""}</span>
                    {label()}
                  </span>
                  <span class="relative flex shrink-0 gap-4 tabular">
                    <Show when={row.secondary !== undefined}>
                      <span
                        class="hidden min-w-16 text-right text-muted sm:inline"
                        title={`${props.secondaryLabel ?? ""} ${formatExact(row.secondary ?? 0)}`.trim()}
                      >
                        {formatExact(row.secondary ?? 0)}
                      </span>
                    </Show>
                    <Show when={row.tertiary !== undefined}>
                      <span
                        class="hidden min-w-16 text-right text-muted sm:inline"
                        title={`${props.tertiaryLabel ?? ""} ${formatExact(row.tertiary ?? 0)}`.trim()}
                      >
                        {formatExact(row.tertiary ?? 0)}
                      </span>
                    </Show>
                    <span
                      class="min-w-14 text-right font-medium"
                      title={`${props.countLabel ?? "Count"} ${formatExact(row.count)}`}
                      data-count=""
                    >
                      {formatExact(row.count)}
                    </span>
                  </span>
                </button>
              </li>
            );
          }}
        </For>
      </ul>
    </Show>
  );
}
