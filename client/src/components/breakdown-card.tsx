/** A card of breakdowns (one dimension per tab), each a ranked list whose rows filter the dashboard. */
import { useQuery } from "@tanstack/solid-query";
import { createSignal, Show } from "solid-js";
import type { AnalyticsRange } from "../lib/dashboard-state.ts";
import { dimensionLabel, emptyValueLabel } from "../lib/dimensions.ts";
import {
  BREAKDOWN_DIMENSIONS,
  type BreakdownDimension,
  type BreakdownRow,
  breakdownQuery,
  entryExitPagesQuery,
  topEventsQuery,
} from "../lib/queries.ts";
import { QueryBoundary } from "./query-boundary.tsx";
import { RankedList } from "./ranked-list.tsx";
import { Tabs } from "./tabs.tsx";

const dimensionInfo = (value: BreakdownDimension) => BREAKDOWN_DIMENSIONS.find((d) => d.value === value)!;

/** Pages rank by page views and visitors (people); other dimensions by events and sessions. */
function figuresOf(dimension: BreakdownDimension) {
  if (dimension === "path") {
    return {
      count: (row: BreakdownRow) => row.pageviews,
      secondary: (row: BreakdownRow) => row.uniqueUsers,
      countLabel: "Views",
      secondaryLabel: "Visitors",
    };
  }
  return {
    count: (row: BreakdownRow) => row.count,
    secondary: (row: BreakdownRow) => row.uniqueSessions,
    countLabel: "Events",
    secondaryLabel: "Sessions",
  };
}

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
          rows={rows().map((row) => ({
            value: row.value,
            count: figuresOf(selected()).count(row),
            secondary: figuresOf(selected()).secondary(row),
          }))}
          column={dimensionInfo(selected()).column}
          countLabel={figuresOf(selected()).countLabel}
          secondaryLabel={figuresOf(selected()).secondaryLabel}
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
            rows={rows().map((row) => ({
              value: row.eventName,
              count: row.count,
              secondary: row.uniqueSessions,
              tertiary: row.uniqueUsers,
            }))}
            column="Event"
            countLabel="Events"
            secondaryLabel="Sessions"
            tertiaryLabel="Users"
            emptyLabel="(none)"
            selectLabel="Filter by event"
            onSelect={(value) => props.onFilter("event_name", value)}
          />
        )}
      </QueryBoundary>
    </section>
  );
}

/** Entry or exit pages: where visits start or end (the first or last page view of each visit in the range). */
export function EntryExitCard(props: {
  side: "entry" | "exit";
  projectId: string;
  range: AnalyticsRange;
  onFilter: (dimension: string, value: string) => void;
}) {
  const query = useQuery(() => entryExitPagesQuery(props.projectId, props.range, props.side));
  const title = () => (props.side === "entry" ? "Entry pages" : "Exit pages");
  return (
    <section class="card flex flex-col p-4" aria-label={title()}>
      <h2 class="mb-2 text-sm font-semibold">{title()}</h2>
      <QueryBoundary query={query} label={`Loading ${title().toLowerCase()}`} skeletonClass="h-64">
        {(rows) => (
          <RankedList
            rows={rows().map((row) => ({ value: row.value, count: row.visits }))}
            column="Page"
            countLabel="Visits"
            emptyLabel={emptyValueLabel("path")}
            selectLabel="Filter by page"
            onSelect={(value) => props.onFilter("path", value)}
          />
        )}
      </QueryBoundary>
    </section>
  );
}
