/** A card of breakdowns (one dimension per tab), each a ranked list whose rows filter the dashboard. */
import { useQuery } from "@tanstack/solid-query";
import { createSignal, Show } from "solid-js";
import type { AnalyticsRange } from "../lib/dashboard-state.ts";
import { dimensionLabel, emptyValueLabel } from "../lib/dimensions.ts";
import { BREAKDOWN_DIMENSIONS, type BreakdownDimension, breakdownQuery, topEventsQuery } from "../lib/queries.ts";
import { QueryBoundary } from "./query-boundary.tsx";
import { RankedList } from "./ranked-list.tsx";
import { Tabs } from "./tabs.tsx";

const dimensionInfo = (value: BreakdownDimension) => BREAKDOWN_DIMENSIONS.find((d) => d.value === value)!;

export function BreakdownCard(props: {
  title: string;
  dimensions: readonly BreakdownDimension[];
  projectId: string;
  range: AnalyticsRange;
  onFilter: (dimension: string, value: string) => void;
}) {
  const [selected, setSelected] = createSignal<BreakdownDimension>(props.dimensions[0]!);
  const query = useQuery(() => breakdownQuery(props.projectId, props.range, selected()));
  const list = () => (
    <QueryBoundary
      query={query}
      label={`Loading ${dimensionInfo(selected()).label.toLowerCase()}`}
      skeletonClass="h-64"
    >
      {(rows) => (
        <RankedList
          rows={rows().map((row) => ({ value: row.value, count: row.count, secondary: row.uniqueSessions }))}
          column={dimensionInfo(selected()).column}
          secondaryLabel="Sessions"
          emptyLabel={emptyValueLabel(selected())}
          selectLabel={`Filter by ${dimensionLabel(selected()).toLowerCase()}`}
          onSelect={(value) => props.onFilter(selected(), value)}
        />
      )}
    </QueryBoundary>
  );
  return (
    <section class="card flex flex-col p-4" aria-label={props.title}>
      <h2 class="mb-2 text-sm font-semibold">{props.title}</h2>
      <Show when={props.dimensions.length > 1} fallback={list()}>
        <Tabs
          label={props.title}
          tabs={props.dimensions.map((d) => ({ value: d, label: dimensionInfo(d).label }))}
          selected={selected()}
          onSelect={setSelected}
        >
          {list()}
        </Tabs>
      </Show>
    </section>
  );
}

export function TopEventsCard(props: {
  projectId: string;
  range: AnalyticsRange;
  onFilter: (dimension: string, value: string) => void;
}) {
  const query = useQuery(() => topEventsQuery(props.projectId, props.range));
  return (
    <section class="card flex flex-col p-4" aria-label="Top events">
      <h2 class="mb-2 text-sm font-semibold">Top events</h2>
      <QueryBoundary query={query} label="Loading top events" skeletonClass="h-64">
        {(rows) => (
          <RankedList
            rows={rows().map((row) => ({ value: row.eventName, count: row.count, secondary: row.uniqueSessions }))}
            column="Event"
            secondaryLabel="Sessions"
            emptyLabel="(none)"
            selectLabel="Filter by event"
            onSelect={(value) => props.onFilter("event_name", value)}
          />
        )}
      </QueryBoundary>
    </section>
  );
}
