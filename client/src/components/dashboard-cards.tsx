/**
 * The dashboard's number cards, shared by a project's dashboard and its share page: the key metrics and the chart.
 */
import { useQuery } from "@tanstack/solid-query";
import { For, lazy, Show, Suspense } from "solid-js";
import type { toAnalyticsRange } from "../lib/dashboard-state.ts";
import { formatDuration, formatPercent } from "../lib/format.ts";
import { overviewQuery, timeseriesQuery } from "../lib/queries.ts";
import { QueryBoundary, Skeleton } from "./query-boundary.tsx";
import { StatCard, TopEventCard } from "./stat-card.tsx";

const TimeseriesChart = lazy(() => import("./timeseries-chart.tsx"));

export function Metrics(props: {
  projectId: string;
  range: ReturnType<typeof toAnalyticsRange>;
  /** What the badges compare with, in words, when not the period just before ("Compare to"). */
  versus?: string | null;
}) {
  const overview = useQuery(() => overviewQuery(props.projectId, props.range));
  const skeletons = (n: number) => Array.from({ length: n }, (_, i) => i);
  return (
    <QueryBoundary
      query={overview}
      label="Loading metrics"
      loading={
        <div class="flex flex-col gap-3">
          <div class="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-5">
            <For each={skeletons(5)}>
              {(i) => <Skeleton class="h-28" label={i === 0 ? "Loading metrics" : undefined} />}
            </For>
          </div>
          <div class="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <For each={skeletons(4)}>{() => <Skeleton class="h-28" />}</For>
          </div>
        </div>
      }
    >
      {(o) => (
        <div class="flex flex-col gap-3">
          <section aria-label="Visit metrics" class="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-5">
            <StatCard label="Visits" value={o().visits} previous={o().previous.visits} versus={props.versus} />
            <StatCard
              label="Page views"
              value={o().pageviews}
              previous={o().previous.pageviews}
              versus={props.versus}
            />
            <StatCard
              label="Views per visit"
              value={o().viewsPerVisit}
              previous={o().previous.viewsPerVisit}
              versus={props.versus}
              format={(v) => v.toFixed(2)}
            />
            <StatCard
              label="Bounce rate"
              value={o().bounceRate}
              previous={o().previous.bounceRate}
              versus={props.versus}
              format={formatPercent}
              lowerIsBetter
            />
            <StatCard
              label="Visit duration"
              value={o().visitDurationMeanSeconds}
              previous={o().previous.visitDurationMeanSeconds}
              versus={props.versus}
              format={formatDuration}
              detail={`median ${formatDuration(o().visitDurationMedianSeconds)}`}
            />
          </section>
          <section aria-label="Key metrics" class="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <StatCard
              label="Total events"
              value={o().totalEvents}
              previous={o().previous.totalEvents}
              versus={props.versus}
            />
            <StatCard
              label="Unique sessions"
              value={o().uniqueSessions}
              previous={o().previous.uniqueSessions}
              versus={props.versus}
            />
            <StatCard
              label="Unique users"
              value={o().uniqueUsers}
              previous={o().previous.uniqueUsers}
              versus={props.versus}
            />
            <TopEventCard name={o().topEvent} />
          </section>
          {/* What the bot filter kept out of these figures (README "Bots"); said only when there was any. */}
          <Show when={o().botEventsFiltered > 0}>
            <p class="text-xs text-muted" data-testid="bot-events-filtered">
              {o().botEventsFiltered.toLocaleString()} {o().botEventsFiltered === 1 ? "event" : "events"} from bots and
              crawlers filtered out in this range.
            </p>
          </Show>
        </div>
      )}
    </QueryBoundary>
  );
}

export function ChartCard(props: { projectId: string; range: ReturnType<typeof toAnalyticsRange>; class?: string }) {
  const series = useQuery(() => timeseriesQuery(props.projectId, props.range));
  return (
    <section class={`card min-w-0 p-4 ${props.class ?? ""}`} aria-labelledby="chart-title">
      <h2 id="chart-title" class="mb-2 text-sm font-semibold">
        Events over time
      </h2>
      <QueryBoundary query={series} label="Loading the chart" skeletonClass="h-72">
        {(ts) => (
          <Suspense fallback={<Skeleton class="h-72" label="Loading the chart" />}>
            <TimeseriesChart points={ts().points} granularity={ts().granularity} timezone={props.range.timezone} />
          </Suspense>
        )}
      </QueryBoundary>
    </section>
  );
}
