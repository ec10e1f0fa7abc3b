/**
 * The People page: every person of the project, most recently seen first, each under its canonical id with its
 * aliases, a glimpse of its traits and lifetime figures. The search box (ids and trait values) and the filters
 * (people with an event passing them) live in the URL like the dashboard's, so a filtered list can be shared.
 */
import { A, useParams, useSearchParams } from "@solidjs/router";
import { useQuery } from "@tanstack/solid-query";
import { createMemo, createSignal, For, onCleanup, Show } from "solid-js";
import { EARLIEST_RANGE_DATE } from "../../../shared/analytics-constants.ts";
import { createCursorPages, PersonLink, Table, td, th } from "../components/activity-tables.tsx";
import { AnalysisNav } from "../components/analysis-nav.tsx";
import { FilterBuilder } from "../components/filter-builder.tsx";
import { FilterChips } from "../components/filter-chips.tsx";
import { Pager } from "../components/pager.tsx";
import { QueryBoundary } from "../components/query-boundary.tsx";
import { RawDataNotice } from "../components/raw-data-notice.tsx";
import {
  addFilterPatch,
  type Filter,
  filtersPatch,
  readDashboardState,
  removeFilterPatch,
  type SearchPatch,
} from "../lib/dashboard-state.ts";
import { formatDateTime, formatExact } from "../lib/format.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { type PeopleView, peopleQuery, projectQuery, TABLE_PAGE_SIZE } from "../lib/queries.ts";
import { describeTrait } from "../lib/traits.ts";

/** Typing pauses this long before the list follows the search box. */
const SEARCH_DELAY_MS = 250;

export default function PeoplePage() {
  const params = useParams<{ id: string }>();
  const [search, setSearch] = useSearchParams();
  const state = createMemo(() => readDashboardState(search));
  const update = (patch: SearchPatch) => setSearch(patch);
  const searchText = () => (typeof search.q === "string" ? search.q : "");
  const view = createMemo(
    (): PeopleView => ({
      search: searchText().trim() || undefined,
      filters: state().filters.length ? state().filters.map((f) => ({ ...f })) : undefined,
    }),
    undefined,
    { equals: (a, b) => JSON.stringify(a) === JSON.stringify(b) },
  );
  const project = useQuery(() => projectQuery(params.id));
  usePageTitle(() => (project.data ? `People · ${project.data.name}` : "People"));

  const [typed, setTyped] = createSignal(searchText());
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));
  const onType = (value: string) => {
    setTyped(value);
    clearTimeout(timer);
    timer = setTimeout(() => update({ q: value || null }), SEARCH_DELAY_MS);
  };

  return (
    <div class="flex flex-col gap-5">
      <div class="min-w-0">
        <nav aria-label="Breadcrumb" class="text-xs text-muted">
          <A href="/projects" class="link">
            Projects
          </A>{" "}
          / {project.data?.name ?? "Project"}
        </nav>
        <h1 class="mt-1 text-2xl font-semibold tracking-tight">People</h1>
        <p class="text-sm text-muted">Everyone who sent an event, each under the id they identified with.</p>
      </div>
      <AnalysisNav projectId={params.id} />
      <div class="flex flex-col gap-3 border-b border-zinc-200 pb-4 dark:border-zinc-800">
        <form
          class="max-w-md"
          onSubmit={(event) => {
            event.preventDefault();
            clearTimeout(timer);
            update({ q: typed() || null });
          }}
        >
          <label class="field-label" for="people-search">
            Search people
          </label>
          <input
            id="people-search"
            type="search"
            class="field-input"
            placeholder="An id, an email, a plan…"
            maxLength={200}
            value={typed()}
            onInput={(event) => onType(event.currentTarget.value)}
          />
        </form>
        <div class="flex flex-wrap items-end gap-3">
          <FilterBuilder projectId={params.id} onAdd={(filter: Filter) => update(addFilterPatch(state(), filter))} />
          <FilterChips
            projectId={params.id}
            filters={state().filters}
            onRemove={(filter: Filter) => update(removeFilterPatch(state(), filter))}
            onClear={() => update(filtersPatch([]))}
          />
        </div>
      </div>
      <section class="card p-4" aria-label="People">
        <PeopleTable projectId={params.id} view={view()} timezone={state().timezone} />
      </section>
    </div>
  );
}

/** The people list has no range: all the time the project keeps. */
const ALL_TIME = { from: EARLIEST_RANGE_DATE, timezone: "UTC" };

function PeopleTable(props: { projectId: string; view: PeopleView; timezone: string }) {
  const pages = createCursorPages(() => JSON.stringify(props.view));
  const query = useQuery(() => peopleQuery(props.projectId, props.view, pages.cursor()));
  return (
    <>
      {/* People are listed over all time: with a retention, that is rawDataFrom on (README "Data retention"). */}
      <RawDataNotice rawDataFrom={query.data?.rawDataFrom} range={ALL_TIME} />
      <QueryBoundary query={query} label="Loading people" skeletonClass="h-64">
        {(result) => (
          <Show
            when={result().total > 0}
            fallback={
              <p class="py-8 text-center text-sm text-muted">
                {props.view.search || props.view.filters ? "Nobody matches." : "Nobody has sent an event yet."}
              </p>
            }
          >
            <Table
              caption="People"
              head={
                <tr>
                  <th scope="col" class={th}>
                    Person
                  </th>
                  <th scope="col" class={th}>
                    Traits
                  </th>
                  <th scope="col" class={`${th} text-right`}>
                    Ids
                  </th>
                  <th scope="col" class={`${th} text-right`}>
                    Events
                  </th>
                  <th scope="col" class={`${th} text-right`}>
                    Sessions
                  </th>
                  <th scope="col" class={th}>
                    Last seen
                  </th>
                </tr>
              }
            >
              <For each={result().items}>
                {(person) => (
                  <tr>
                    <td class={td}>
                      <PersonLink projectId={props.projectId} distinctId={person.distinctId} />
                    </td>
                    <td class={`${td} text-muted`}>
                      <span class="block max-w-64 truncate" title={traitSummary(person.traits)}>
                        {traitSummary(person.traits) || "–"}
                      </span>
                    </td>
                    <td class={`${td} text-right`}>{formatExact(person.aliases.length + 1)}</td>
                    <td class={`${td} text-right`}>{formatExact(person.eventCount)}</td>
                    <td class={`${td} text-right`}>{formatExact(person.sessionCount)}</td>
                    <td class={`${td} text-muted`}>{formatDateTime(person.lastSeen, props.timezone)}</td>
                  </tr>
                )}
              </For>
            </Table>
            <Pager
              label="People"
              page={pages.page()}
              pageSize={TABLE_PAGE_SIZE}
              count={result().items.length}
              total={result().total}
              hasNext={result().nextCursor !== null}
              busy={query.isFetching}
              onPage={(page) => pages.go(page, result().nextCursor)}
            />
          </Show>
        )}
      </QueryBoundary>
    </>
  );
}

function traitSummary(traits: Record<string, unknown>): string {
  return Object.entries(traits)
    .slice(0, 3)
    .map(([key, value]) => `${key}: ${describeTrait(value)}`)
    .join(" · ");
}
