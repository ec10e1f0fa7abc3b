/**
 * The dashboard's number cards, shared by a project's dashboard and its share page: the key metrics and the chart.
 */
import { useQuery } from "@tanstack/solid-query";
import { lazy, Suspense } from "solid-js";
import type { toAnalyticsRange } from "../lib/dashboard-state.ts";
import { overviewQuery, timeseriesQuery } from "../lib/queries.ts";
import { QueryBoundary, Skeleton } from "./query-boundary.tsx";
import { StatCard, TopEventCard } from "./stat-card.tsx";

const TimeseriesChart = lazy(() => import("./timeseries-chart.tsx"));

export function Metrics(props: { projectId: string; range: ReturnType<typeof toAnalyticsRange> }) {
  const overview = useQuery(() => overviewQuery(props.projectId, props.range));
  return (
    <QueryBoundary
      query={overview}
      label="Loading metrics"
      loading={
        <div class="grid grid-cols-2 gap-3 lg:grid-cols-4">
          <Skeleton class="h-28" label="Loading metrics" />
          <Skeleton class="h-28" />
          <Skeleton class="h-28" />
          <Skeleton class="h-28" />
        </div>
      }
    >
      {(o) => (
        <section aria-label="Key metrics" class="grid grid-cols-2 gap-3 lg:grid-cols-4">
          <StatCard label="Total events" value={o().totalEvents} previous={o().previous.totalEvents} />
          <StatCard label="Unique sessions" value={o().uniqueSessions} previous={o().previous.uniqueSessions} />
          <StatCard label="Unique users" value={o().uniqueUsers} previous={o().previous.uniqueUsers} />
          <TopEventCard name={o().topEvent} />
        </section>
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
