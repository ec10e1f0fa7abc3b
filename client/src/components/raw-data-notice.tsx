/**
 * The notice of a view whose range starts before the project's rawDataFrom (the retention horizon every answer
 * carries, shared/analytics.ts RawDataFromAnswer): raw events before it are removed, so the figures there either come
 * from aggregates (the dashboard's unfiltered cards, when the project keeps them) or are not there at all.
 */
import { useQuery } from "@tanstack/solid-query";
import { Show } from "solid-js";
import { DEFAULT_PERIOD, PERIOD_MS } from "../../../shared/analytics-constants.ts";
import type { AnalyticsRange } from "../lib/dashboard-state.ts";
import { overviewQuery } from "../lib/queries.ts";

/** Where a range starts (ms), as the server resolves it (shared/analytics.ts resolveRange). */
export function rangeStart(range: AnalyticsRange, now = Date.now()): number {
  if (range.from) return Date.parse(range.from);
  const to = range.to ? Date.parse(range.to) : now;
  return to - PERIOD_MS[range.period ?? DEFAULT_PERIOD];
}

/** rawDataFrom as a date: it is the start of a UTC day, so it is shown as that day. */
function day(iso: string): string {
  return new Date(iso).toLocaleDateString("en-GB", {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    year: "numeric",
  });
}

/**
 * Shown only when the range starts before `rawDataFrom`. `aggregates`: the view's figures before it come from the
 * kept rollups (unfiltered dashboard with keepAggregatesPastRetention); otherwise the view covers rawDataFrom on.
 */
export function RawDataNotice(props: {
  rawDataFrom: string | null | undefined;
  range: AnalyticsRange;
  aggregates?: boolean;
}) {
  const shown = () => {
    const from = props.rawDataFrom;
    return from && rangeStart(props.range) < Date.parse(from) ? from : null;
  };
  return (
    <Show when={shown()}>
      {(from) => (
        <p
          class="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:(bg-amber-950/40 text-amber-200)"
          role="note"
          aria-label="Data retention"
        >
          {props.aggregates
            ? `Raw events are kept from ${day(from())}; figures before it come from aggregates. Visit metrics, ` +
              `breakdowns, entry and exit pages, goals and the session and user lists cover ${day(from())} on.`
            : `Raw events are kept from ${day(from())}; this view covers ${day(from())} on.`}
        </p>
      )}
    </Show>
  );
}

/** The dashboard's notice, from the overview's answer (the same query as the KPI cards: no extra request). */
export function DashboardRawDataNotice(props: { projectId: string; range: AnalyticsRange; keepAggregates: boolean }) {
  const overview = useQuery(() => overviewQuery(props.projectId, props.range));
  return (
    <RawDataNotice
      rawDataFrom={overview.data?.rawDataFrom}
      range={props.range}
      aggregates={props.keepAggregates && !props.range.filters?.length}
    />
  );
}
