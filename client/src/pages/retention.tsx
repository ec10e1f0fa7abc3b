/**
 * Retention of one project: the cohort triangle (rows are cohorts by first-ever start event, columns the intervals
 * after), each cell the share of the cohort that came back, shaded by it. The analysis settings live in the URL
 * (journey-state.ts) beside the dashboard's period, zone and filters.
 */
import { useParams, useSearchParams } from "@solidjs/router";
import { useQuery } from "@tanstack/solid-query";
import { createMemo, createUniqueId, For, Index, Show } from "solid-js";
import { MAX_RETENTION_PERIODS, MIN_RETENTION_PERIODS } from "../../../shared/journey-constants.ts";
import { AnalysisFrame, ValuePicker } from "../components/analysis-frame.tsx";
import { QueryBoundary } from "../components/query-boundary.tsx";
import { RawDataNotice } from "../components/raw-data-notice.tsx";
import { type DashboardState, toAnalyticsRange } from "../lib/dashboard-state.ts";
import { formatDate, formatExact } from "../lib/format.ts";
import { pickerChoicesQuery, type RetentionAnswer, retentionQuery } from "../lib/journey-queries.ts";
import { readRetentionState } from "../lib/journey-state.ts";

export default function RetentionPage() {
  const params = useParams<{ id: string }>();
  return (
    <AnalysisFrame projectId={params.id} title="Retention">
      {(state) => <Retention projectId={params.id} state={state()} />}
    </AnalysisFrame>
  );
}

function Retention(props: { projectId: string; state: DashboardState }) {
  const id = createUniqueId();
  const [search, setSearch] = useSearchParams();
  const settings = createMemo(() => readRetentionState(search), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const range = createMemo(() => toAnalyticsRange(props.state), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const events = useQuery(() => pickerChoicesQuery(props.projectId, "event", props.state.timezone));
  const answer = useQuery(() => retentionQuery(props.projectId, range(), settings()));
  return (
    <div class="flex flex-col gap-5">
      <section class="card flex flex-wrap items-end gap-3 p-4" aria-label="Retention settings">
        <ValuePicker
          id={`${id}-start`}
          label="Start event (first time)"
          value={settings().startEvent ?? ""}
          placeholder="Any event"
          choices={events.data ?? []}
          onChange={(value) => setSearch({ start: value || null })}
        />
        <ValuePicker
          id={`${id}-return`}
          label="Return event"
          value={settings().returnEvent ?? ""}
          placeholder="Any event"
          choices={events.data ?? []}
          onChange={(value) => setSearch({ return: value || null })}
        />
        <div>
          <label for={`${id}-interval`} class="field-label">
            Interval
          </label>
          <select
            id={`${id}-interval`}
            class="field-input"
            value={settings().interval}
            onChange={(event) => setSearch({ interval: event.currentTarget.value })}
          >
            <option value="day">Day</option>
            <option value="week">Week (from Monday)</option>
          </select>
        </div>
        <div class="w-24">
          <label for={`${id}-periods`} class="field-label">
            Periods
          </label>
          <input
            id={`${id}-periods`}
            class="field-input"
            type="number"
            min={MIN_RETENTION_PERIODS}
            max={MAX_RETENTION_PERIODS}
            value={settings().periods}
            onChange={(event) => setSearch({ periods: event.currentTarget.value })}
          />
        </div>
      </section>
      <RawDataNotice rawDataFrom={answer.data?.rawDataFrom} range={range()} />
      <section class="card min-w-0 p-4" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`} class="mb-3 text-sm font-semibold">
          Returning people by cohort
        </h2>
        <QueryBoundary query={answer} label="Loading retention" skeletonClass="h-72">
          {(data) => <RetentionTable data={data()} timezone={props.state.timezone} interval={settings().interval} />}
        </QueryBoundary>
      </section>
    </div>
  );
}

/** Background of a cell: indigo, stronger with the share (readable on light and dark cards). */
const shade = (share: number) => `rgba(79, 70, 229, ${(0.08 + 0.82 * share).toFixed(3)})`;
const percent = (share: number) => `${Number((share * 100).toFixed(1))}%`;

function RetentionTable(props: { data: RetentionAnswer; timezone: string; interval: "day" | "week" }) {
  const columns = createMemo(() => Math.max(0, ...props.data.cohorts.map((c) => c.returned.length)));
  const total = () => props.data.cohorts.reduce((sum, c) => sum + c.size, 0);
  const unit = () => (props.interval === "day" ? "Day" : "Week");
  return (
    <Show
      when={total() > 0}
      fallback={
        <p class="py-8 text-center text-sm text-muted">
          Nobody did the start event for the first time in this period. Pick a longer period, another start event, or
          fewer filters.
        </p>
      }
    >
      {/* Focusable, so the keyboard can scroll the wide triangle on a narrow screen. */}
      <section class="focus-ring overflow-x-auto rounded" tabindex="0" aria-label="Retention by cohort">
        <table class="w-full border-separate border-spacing-0.5 text-right text-xs tabular-nums">
          <thead>
            <tr class="text-muted">
              <th scope="col" class="sticky left-0 bg-white px-2 py-1 text-left font-medium dark:bg-zinc-900">
                Cohort
              </th>
              <th scope="col" class="px-2 py-1 font-medium">
                People
              </th>
              <Index each={Array.from({ length: Math.max(0, columns() - 1) })}>
                {(_, k) => (
                  <th scope="col" class="whitespace-nowrap px-2 py-1 font-medium">
                    {unit()} {k + 1}
                  </th>
                )}
              </Index>
            </tr>
          </thead>
          <tbody>
            <For each={props.data.cohorts}>
              {(cohort) => (
                <tr>
                  <th
                    scope="row"
                    class="sticky left-0 whitespace-nowrap bg-white px-2 py-1 text-left font-medium dark:bg-zinc-900"
                  >
                    {formatDate(cohort.start, props.timezone)}
                  </th>
                  <td class="px-2 py-1">{formatExact(cohort.size)}</td>
                  <Index each={Array.from({ length: Math.max(0, columns() - 1) })}>
                    {(_, k) => {
                      const count = () => cohort.returned[k + 1];
                      const share = () => (cohort.size > 0 ? (count() ?? 0) / cohort.size : 0);
                      return (
                        <Show when={count() !== undefined} fallback={<td />}>
                          <td
                            class="rounded px-2 py-1"
                            classList={{ "text-white": share() > 0.45 }}
                            style={{ "background-color": cohort.size > 0 ? shade(share()) : undefined }}
                            title={`${formatExact(count() ?? 0)} of ${formatExact(cohort.size)} people`}
                          >
                            {cohort.size > 0 ? percent(share()) : "–"}
                          </td>
                        </Show>
                      );
                    }}
                  </Index>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </section>
      <p class="mt-3 text-xs text-muted">
        A cohort is the people whose first-ever start event falls in that {props.interval}; each cell is the share of
        them with a return event {props.interval === "day" ? "that many days" : "that many weeks"} later. The current{" "}
        {props.interval} counts up to now.
      </p>
    </Show>
  );
}
