/**
 * The analytics dashboard of one project. Period, timezone and filters live in the URL (see dashboard-state.ts);
 * every card reads through its own query, so each shows its own loading and error state. New events from the live
 * feed refresh the numbers (at most every few seconds).
 */
import { A, useNavigate, useParams, useSearchParams } from "@solidjs/router";
import { useQuery, useQueryClient } from "@tanstack/solid-query";
import { createMemo, createSignal, For, onCleanup, Show } from "solid-js";
import { ActivityCard } from "../components/activity-tables.tsx";
import { AnalysisNav } from "../components/analysis-nav.tsx";
import { BreakdownCard, EntryExitCard, TopEventsCard } from "../components/breakdown-card.tsx";
import { CountriesCard } from "../components/countries-card.tsx";
import { CurrentVisitors } from "../components/current-visitors.tsx";
import { ChartCard, Metrics } from "../components/dashboard-cards.tsx";
import { EmptyProject } from "../components/empty-project.tsx";
import { FilterBuilder } from "../components/filter-builder.tsx";
import { FilterChips } from "../components/filter-chips.tsx";
import { GoalsCard } from "../components/goals-card.tsx";
import { LiveFeedPanel } from "../components/live-feed-panel.tsx";
import { PeriodPicker } from "../components/period-picker.tsx";
import { QueryBoundary } from "../components/query-boundary.tsx";
import { DashboardRawDataNotice } from "../components/raw-data-notice.tsx";
import { markSignedOut } from "../lib/auth-state.ts";
import {
  addFilterPatch,
  describeComparison,
  describePeriod,
  type Filter,
  filtersPatch,
  readDashboardState,
  removeFilterPatch,
  type SearchPatch,
  toAnalyticsRange,
  todayIn,
} from "../lib/dashboard-state.ts";
import { exportEventsUrl } from "../lib/export-url.ts";
import type { AccessEnded } from "../lib/live-feed.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { BREAKDOWN_CARDS, keys, projectActivityQuery, projectQuery } from "../lib/queries.ts";
import { useLiveFeed } from "../lib/use-live-feed.ts";

/** How long new live events wait before the numbers refresh: bursts become one refresh. */
const REFRESH_AFTER_EVENTS_MS = 3000;

export default function DashboardPage() {
  const params = useParams<{ id: string }>();
  const [search, setSearch] = useSearchParams();
  const queryClient = useQueryClient();
  const state = createMemo(() => readDashboardState(search));
  // Today and Yesterday are days of the dashboard's timezone: when its date changes, the range moves with it.
  const [dayStart, setDayStart] = createSignal(Date.now());
  const dayTimer = setInterval(() => {
    const zone = state().timezone;
    if (todayIn(zone, Date.now()) !== todayIn(zone, dayStart())) setDayStart(Date.now());
  }, 60_000);
  onCleanup(() => clearInterval(dayTimer));
  const range = createMemo(() => toAnalyticsRange(state(), dayStart()), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const update = (patch: SearchPatch) => setSearch(patch);
  const addFilter = (dimension: string, value: string) =>
    update(addFilterPatch(state(), { dimension, op: "eq", value }));

  const project = useQuery(() => projectQuery(params.id));
  usePageTitle(() => project.data?.name);
  const activity = useQuery(() => projectActivityQuery(params.id, state().timezone));

  const navigate = useNavigate();
  // The server closed the live feed because access ended: a dead login goes to sign in (the signed-in layout sends
  // it to /login and back here afterwards), a project no longer ours goes back to the list.
  const leave = (where: AccessEnded) => {
    if (where === "sign-in") {
      markSignedOut();
      queryClient.clear();
      return;
    }
    queryClient.removeQueries({ queryKey: keys.project(params.id) });
    queryClient.removeQueries({ queryKey: keys.analytics(params.id) });
    void queryClient.invalidateQueries({ queryKey: keys.projectList() });
    navigate("/projects", { replace: true });
  };

  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(refreshTimer));
  const live = useLiveFeed(
    () => params.id,
    () => project.data !== undefined,
    () => {
      if (refreshTimer) return;
      refreshTimer = setTimeout(() => {
        refreshTimer = undefined;
        void queryClient.invalidateQueries({ queryKey: keys.analytics(params.id) });
      }, REFRESH_AFTER_EVENTS_MS);
    },
    leave,
  );

  return (
    <QueryBoundary query={project} label="Loading the project" skeletonClass="h-40">
      {(p) => (
        <div class="flex flex-col gap-5">
          <div class="flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
              <nav aria-label="Breadcrumb" class="text-xs text-muted">
                <A href="/projects" class="link">
                  Projects
                </A>{" "}
                / {p().name}
              </nav>
              <h1 class="mt-1 truncate text-2xl font-semibold tracking-tight">{p().name}</h1>
              <p class="text-sm text-muted">
                {p().domain ?? "Any domain"} · {describePeriod(state())}
              </p>
            </div>
            <nav aria-label="Project" class="flex flex-wrap items-center gap-4">
              <CurrentVisitors projectId={p().id} />
              <A href={`/projects/${p().id}/settings`} class="btn-secondary">
                Settings
              </A>
            </nav>
          </div>
          <AnalysisNav projectId={p().id} />

          <QueryBoundary query={activity} label="Checking for events" skeletonClass="h-64">
            {(hasEvents) => (
              <Show
                when={hasEvents()}
                fallback={
                  <div class="grid gap-5 lg:grid-cols-3">
                    <div class="lg:col-span-2">
                      <EmptyProject projectId={p().id} apiKeyPrefix={p().apiKeyPrefix} />
                    </div>
                    <LiveFeedPanel feed={live} timezone={state().timezone} />
                  </div>
                }
              >
                <div class="-mt-1 flex flex-col gap-3 border-b border-zinc-200 pb-4 dark:border-zinc-800">
                  <div class="flex flex-wrap items-end justify-between gap-3">
                    <PeriodPicker state={state()} onChange={update} />
                    <div class="flex gap-2 text-xs" title="Export the events of this period and filters">
                      <a class="btn-secondary" href={exportEventsUrl(p().id, range(), "csv")} download="">
                        Export CSV
                      </a>
                      <a class="btn-secondary" href={exportEventsUrl(p().id, range(), "ndjson")} download="">
                        Export NDJSON
                      </a>
                    </div>
                  </div>
                  <div class="flex flex-wrap items-end gap-3">
                    <FilterBuilder
                      projectId={params.id}
                      onAdd={(filter: Filter) => update(addFilterPatch(state(), filter))}
                    />
                    <FilterChips
                      projectId={params.id}
                      filters={state().filters}
                      onRemove={(filter: Filter) => update(removeFilterPatch(state(), filter))}
                      onClear={() => update(filtersPatch([]))}
                    />
                  </div>
                </div>
                <DashboardRawDataNotice
                  projectId={p().id}
                  range={range()}
                  keepAggregates={p().keepAggregatesPastRetention}
                />
                <Metrics projectId={p().id} range={range()} versus={describeComparison(state())} />
                <div class="grid gap-5 xl:grid-cols-3">
                  <ChartCard projectId={p().id} range={range()} class="xl:col-span-2" />
                  <LiveFeedPanel feed={live} timezone={state().timezone} />
                </div>
                <div class="grid gap-5 md:grid-cols-2">
                  <TopEventsCard projectId={p().id} range={range()} onFilter={addFilter} />
                  <For each={BREAKDOWN_CARDS}>
                    {(card) =>
                      card.id === "countries" ? (
                        <CountriesCard title={card.title} projectId={p().id} range={range()} onFilter={addFilter} />
                      ) : (
                        <BreakdownCard
                          title={card.title}
                          dimensions={card.dimensions}
                          projectId={p().id}
                          range={range()}
                          onFilter={addFilter}
                        />
                      )
                    }
                  </For>
                  <EntryExitCard side="entry" projectId={p().id} range={range()} onFilter={addFilter} />
                  <EntryExitCard side="exit" projectId={p().id} range={range()} onFilter={addFilter} />
                </div>
                <GoalsCard projectId={p().id} range={range()} />
                <ActivityCard projectId={p().id} range={range()} />
              </Show>
            )}
          </QueryBoundary>
        </div>
      )}
    </QueryBoundary>
  );
}
