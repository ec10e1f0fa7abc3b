/**
 * The Countries card: sessions and events per country (from the client IP at ingest, never stored), each with its
 * flag and name, counts exact; a row filters the dashboard by that country.
 */
import { useQuery } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import { countryFlag, countryName } from "../lib/countries.ts";
import type { AnalyticsRange } from "../lib/dashboard-state.ts";
import { emptyValueLabel } from "../lib/dimensions.ts";
import { formatExact } from "../lib/format.ts";
import { breakdownQuery } from "../lib/queries.ts";
import { QueryBoundary } from "./query-boundary.tsx";

export function CountriesCard(props: {
  title: string;
  projectId: string;
  range: AnalyticsRange;
  onFilter: (dimension: string, value: string) => void;
}) {
  const query = useQuery(() => breakdownQuery(props.projectId, props.range, "country"));
  return (
    <section class="card flex flex-col p-4" aria-label={props.title}>
      <h2 class="mb-2 text-sm font-semibold">{props.title}</h2>
      <QueryBoundary query={query} label="Loading countries" skeletonClass="h-64">
        {(rows) => (
          <Show
            when={rows().length > 0}
            fallback={<p class="py-8 text-center text-sm text-muted">No data for this period.</p>}
          >
            <table class="w-full text-sm">
              <thead class="text-xs font-medium uppercase tracking-wide text-muted">
                <tr>
                  <th scope="col" class="px-2 pb-1 text-left font-medium">
                    Country
                  </th>
                  <th scope="col" class="w-20 px-2 pb-1 text-right font-medium">
                    Sessions
                  </th>
                  <th scope="col" class="w-20 px-2 pb-1 text-right font-medium">
                    Events
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={rows()}>
                  {(row) => {
                    const known = () => row.value !== null && row.value !== "";
                    const name = () => (known() ? countryName(row.value!) : emptyValueLabel("country"));
                    return (
                      <tr class="border-t border-zinc-100 dark:border-zinc-800">
                        <td class="px-2 py-1.5">
                          <Show when={known()} fallback={<span class="italic text-muted">{name()}</span>}>
                            <button
                              type="button"
                              class="focus-ring flex items-center gap-2 rounded text-left hover:underline"
                              title={`Filter by country ${name()}`}
                              onClick={() => props.onFilter("country", row.value!)}
                            >
                              <span aria-hidden="true">{countryFlag(row.value!)}</span>
                              <span class="sr-only">Filter by country: </span>
                              <span class="truncate">{name()}</span>
                            </button>
                          </Show>
                        </td>
                        <td class="px-2 py-1.5 text-right tabular-nums text-muted">
                          {formatExact(row.uniqueSessions)}
                        </td>
                        <td class="px-2 py-1.5 text-right font-medium tabular-nums">{formatExact(row.count)}</td>
                      </tr>
                    );
                  }}
                </For>
              </tbody>
            </table>
          </Show>
        )}
      </QueryBoundary>
    </section>
  );
}
