/**
 * Funnels of one project: a step builder (event pickers over the project's own event names, per-step filters, or
 * one of the project's goals as a step), the
 * dashboard's period, timezone and filters, window, count by and breakdown, all in the URL (funnel-state.ts and
 * dashboard-state.ts); the funnel as bars with conversion and drop-off, a breakdown table, and the people who reached
 * or dropped at a step. Each card has its own loading and error state.
 */
import { A, useParams, useSearchParams } from "@solidjs/router";
import { queryOptions, useQuery } from "@tanstack/solid-query";
import type { inferRouterOutputs } from "@trpc/server";
import { createEffect, createMemo, createSignal, createUniqueId, For, Index, on, Show } from "solid-js";
import type { AppRouter } from "../../../server/http/trpc/root.ts";
import { DIMENSIONS } from "../../../shared/dimensions.ts";
import { FUNNEL_OTHER, MAX_FUNNEL_STEPS, MIN_FUNNEL_STEPS } from "../../../shared/funnel-constants.ts";
import { AnalysisNav } from "../components/analysis-nav.tsx";
import { FilterBuilder } from "../components/filter-builder.tsx";
import { FilterChips } from "../components/filter-chips.tsx";
import { PeriodPicker } from "../components/period-picker.tsx";
import { QueryBoundary } from "../components/query-boundary.tsx";
import { RawDataNotice } from "../components/raw-data-notice.tsx";
import {
  type AnalyticsRange,
  addFilterPatch,
  describePeriod,
  type Filter,
  filtersPatch,
  readDashboardState,
  removeFilterPatch,
  type SearchPatch,
  sameFilter,
  toAnalyticsRange,
} from "../lib/dashboard-state.ts";
import { describeFilter, dimensionLabel } from "../lib/dimensions.ts";
import { formatDateTime, formatDuration, formatExact } from "../lib/format.ts";
import {
  type FunnelState,
  funnelPatch,
  funnelQueryInput,
  readFunnelState,
  WINDOW_CHOICES,
} from "../lib/funnel-state.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { type Goal, goalsListQuery, keys, projectQuery } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

type Outputs = inferRouterOutputs<AppRouter>["analytics"];
type FunnelStep = Outputs["funnel"]["steps"][number];
type FunnelQueryInput = NonNullable<ReturnType<typeof funnelQueryInput>>;

/** Event names offered by the pickers: the project's most frequent over the range (the API's most). */
const EVENT_NAME_LIMIT = 100;

const eventNamesQuery = (projectId: string, range: AnalyticsRange) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "funnelEventNames", range] as const,
    queryFn: () => trpc.analytics.topEvents.query({ projectId, ...range, limit: EVENT_NAME_LIMIT }),
    select: (rows) => rows.map((row) => row.eventName),
  });

const funnelQuery = (projectId: string, range: AnalyticsRange, input: FunnelQueryInput | null) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "funnel", range, input] as const,
    queryFn: () => trpc.analytics.funnel.query({ projectId, ...range, ...input! }),
    enabled: input !== null,
  });

const funnelPeopleQuery = (
  projectId: string,
  range: AnalyticsRange,
  input: FunnelQueryInput,
  step: number,
  dropped: boolean,
  cursor: string | undefined,
) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "funnelPeople", range, input, step, dropped, cursor ?? null] as const,
    queryFn: () =>
      trpc.analytics.funnelPeople.query({ projectId, ...range, ...input, countBy: "users", step, dropped, cursor }),
  });

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

/** What a step is called on the page: its goal's name for a goal step, else its event. */
const stepLabel = (step: FunnelStep) => (step.goal ? step.goal.name : step.event);

export default function FunnelsPage() {
  const params = useParams<{ id: string }>();
  const [search, setSearch] = useSearchParams();
  const dashboard = createMemo(() => readDashboardState(search));
  const fromUrl = createMemo(() => readFunnelState(search));
  // The funnel's own copy of its URL state: the router applies a navigation in a transition, so a second edit made
  // before the first one lands (a step then "Add step") must build on the first, not on the URL of before. Back and
  // forward (and any other URL change) overwrite it.
  const [funnel, setFunnel] = createSignal(fromUrl());
  createEffect(on(fromUrl, (state) => setFunnel(state), { defer: true }));
  const range = createMemo(() => toAnalyticsRange(dashboard()), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const input = createMemo(() => funnelQueryInput(funnel()), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const update = (patch: SearchPatch) => setSearch(patch);
  const updateFunnel = (change: (state: FunnelState) => FunnelState) => {
    const next = change(funnel());
    setFunnel(next);
    update(funnelPatch(next));
  };

  const project = useQuery(() => projectQuery(params.id));
  usePageTitle(() => (project.data ? `Funnels · ${project.data.name}` : undefined));
  const names = useQuery(() => eventNamesQuery(params.id, range()));
  const goals = useQuery(() => goalsListQuery(params.id));
  const result = useQuery(() => funnelQuery(params.id, range(), input()));

  return (
    <QueryBoundary query={project} label="Loading the project" skeletonClass="h-40">
      {(p) => (
        <div class="flex flex-col gap-5">
          <div class="min-w-0">
            <nav aria-label="Breadcrumb" class="text-xs text-muted">
              <A href="/projects" class="link">
                Projects
              </A>{" "}
              / {p().name}
            </nav>
            <h1 class="mt-1 text-2xl font-semibold tracking-tight">Funnels</h1>
            <p class="text-sm text-muted">
              How many {funnel().countBy === "sessions" ? "sessions" : "people"} go through your steps in order ·{" "}
              {describePeriod(dashboard())}
            </p>
          </div>
          <AnalysisNav projectId={p().id} />

          <div class="flex flex-col gap-3 border-b border-zinc-200 pb-4 dark:border-zinc-800">
            <PeriodPicker state={dashboard()} onChange={update} />
            <div class="flex flex-wrap items-end gap-3">
              <FilterBuilder
                projectId={params.id}
                onAdd={(filter: Filter) => update(addFilterPatch(dashboard(), filter))}
              />
              <FilterChips
                projectId={params.id}
                filters={dashboard().filters}
                onRemove={(filter: Filter) => update(removeFilterPatch(dashboard(), filter))}
                onClear={() => update(filtersPatch([]))}
              />
            </div>
          </div>

          <div class="grid gap-5 lg:grid-cols-3">
            <StepBuilder
              state={funnel()}
              eventNames={names.data ?? []}
              namesError={names.isError}
              goals={goals.data ?? []}
              onChange={updateFunnel}
            />
            <section class="card min-w-0 p-4 lg:col-span-2" aria-labelledby="funnel-title">
              <h2 id="funnel-title" class="mb-3 text-sm font-semibold">
                Conversion
              </h2>
              <Show
                when={input()}
                fallback={
                  <p class="py-10 text-center text-sm text-muted">
                    Pick an event or a goal for each step (at least {MIN_FUNNEL_STEPS}) to see how many get through.
                  </p>
                }
              >
                {(query) => (
                  <>
                    <RawDataNotice rawDataFrom={result.data?.rawDataFrom} range={range()} />
                    <QueryBoundary query={result} label="Computing the funnel" skeletonClass="h-64">
                      {(data) => (
                        <Show
                          when={data().steps[0]!.count > 0}
                          fallback={
                            <p class="py-10 text-center text-sm text-muted">
                              Nobody did “{stepLabel(data().steps[0]!)}” in this period with these filters. Try a longer
                              period, another first step or fewer filters.
                            </p>
                          }
                        >
                          <FunnelBars
                            steps={data().steps}
                            countBy={funnel().countBy}
                            projectId={p().id}
                            range={range()}
                            input={query()}
                            timezone={dashboard().timezone}
                          />
                        </Show>
                      )}
                    </QueryBoundary>
                  </>
                )}
              </Show>
            </section>
          </div>

          <Show when={input() && funnel().breakdown !== null && result.data?.breakdown}>
            {(rows) => <BreakdownTable rows={rows()} steps={result.data!.steps} dimension={funnel().breakdown!} />}
          </Show>
        </div>
      )}
    </QueryBoundary>
  );
}

function StepBuilder(props: {
  state: FunnelState;
  eventNames: string[];
  namesError: boolean;
  goals: Goal[];
  onChange: (change: (state: FunnelState) => FunnelState) => void;
}) {
  const id = createUniqueId();
  const setStep = (index: number, change: (step: FunnelState["steps"][number]) => FunnelState["steps"][number]) =>
    props.onChange((state) => ({ ...state, steps: state.steps.map((s, i) => (i === index ? change(s) : s)) }));
  const [propertyKey, setPropertyKey] = createSignal("");
  const breakdownChoice = () =>
    props.state.breakdown === null
      ? ""
      : props.state.breakdown.startsWith("property:")
        ? "property"
        : props.state.breakdown;
  return (
    <section class="card flex flex-col gap-4 p-4" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} class="text-sm font-semibold">
        Steps
      </h2>
      <datalist id={`${id}-events`}>
        <For each={props.eventNames}>{(name) => <option value={name} />}</For>
      </datalist>
      <Show when={props.namesError}>
        <p class="text-xs text-muted" role="status">
          Event names could not be loaded: type them.
        </p>
      </Show>
      <ol class="flex flex-col gap-3">
        <Index each={props.state.steps}>
          {(step, index) => (
            <li>
              <fieldset class="flex flex-col gap-2 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
                <legend class="px-1 text-xs font-medium text-muted">Step {index + 1}</legend>
                <div class="flex items-end gap-2">
                  <Show when={props.goals.length > 0 || step().goalId}>
                    <div classList={{ "w-28 shrink-0": !step().goalId, "min-w-0 flex-1": Boolean(step().goalId) }}>
                      <label for={`${id}-step-${index}-goal`} class="sr-only">
                        Step {index + 1} goal
                      </label>
                      <select
                        id={`${id}-step-${index}-goal`}
                        class="field-input mt-0 py-1.5"
                        onChange={(event) => {
                          const goalId = event.currentTarget.value || undefined;
                          setStep(index, (s) => ({ ...s, goalId }));
                        }}
                      >
                        {/* `selected` on each option rather than the select's value: the goals arrive after the
                            select is made, and a value set before its option exists is lost. */}
                        <option value="" selected={!step().goalId}>
                          An event
                        </option>
                        <Show when={step().goalId && !props.goals.some((g) => g.id === step().goalId)}>
                          {/* A goal in the URL that the list does not (yet) hold: kept, not silently dropped. */}
                          <option value={step().goalId} selected>
                            A goal
                          </option>
                        </Show>
                        <optgroup label="Goals">
                          <For each={props.goals}>
                            {(goal) => (
                              <option value={goal.id} selected={goal.id === step().goalId}>
                                {goal.name}
                              </option>
                            )}
                          </For>
                        </optgroup>
                      </select>
                    </div>
                  </Show>
                  <div class="min-w-0 flex-1" hidden={Boolean(step().goalId)}>
                    <label for={`${id}-step-${index}`} class="sr-only">
                      Step {index + 1} event
                    </label>
                    <input
                      id={`${id}-step-${index}`}
                      class="field-input mt-0 py-1.5"
                      list={`${id}-events`}
                      placeholder="Search events…"
                      autocomplete="off"
                      value={step().event}
                      onChange={(event) => {
                        const value = event.currentTarget.value;
                        setStep(index, (s) => ({ ...s, event: value }));
                      }}
                    />
                  </div>
                  <Show when={props.state.steps.length > MIN_FUNNEL_STEPS}>
                    <button
                      type="button"
                      class="btn-ghost px-2 py-1.5"
                      aria-label={`Remove step ${index + 1}`}
                      onClick={() =>
                        props.onChange((state) => ({ ...state, steps: state.steps.filter((_, i) => i !== index) }))
                      }
                    >
                      <span aria-hidden="true">×</span>
                    </button>
                  </Show>
                </div>
                <Show when={!step().goalId && step().filters.length > 0}>
                  <ul class="flex flex-wrap gap-1" aria-label={`Step ${index + 1} filters`}>
                    <For each={step().filters}>
                      {(filter) => (
                        <li class="inline-flex items-center gap-1 rounded-full border border-zinc-300 py-0.5 pl-2 pr-1 text-xs dark:border-zinc-700">
                          <span class="truncate">{describeFilter(filter)}</span>
                          <button
                            type="button"
                            class="focus-ring grid h-5 w-5 place-items-center rounded-full hover:bg-zinc-100 dark:hover:bg-zinc-800"
                            aria-label={`Remove step ${index + 1} filter: ${describeFilter(filter)}`}
                            onClick={() =>
                              setStep(index, (s) => ({
                                ...s,
                                filters: s.filters.filter((f) => !sameFilter(f, filter)),
                              }))
                            }
                          >
                            <span aria-hidden="true">×</span>
                          </button>
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
                <Show
                  when={!step().goalId}
                  fallback={<p class="text-xs text-muted">A goal step matches with the goal's own filters.</p>}
                >
                  <FilterBuilder
                    onAdd={(filter: Filter) => setStep(index, (s) => ({ ...s, filters: [...s.filters, filter] }))}
                  />
                </Show>
              </fieldset>
            </li>
          )}
        </Index>
      </ol>
      <Show when={props.state.steps.length < MAX_FUNNEL_STEPS}>
        <button
          type="button"
          class="btn-secondary self-start"
          onClick={() => props.onChange((state) => ({ ...state, steps: [...state.steps, { event: "", filters: [] }] }))}
        >
          Add step
        </button>
      </Show>
      <div class="grid grid-cols-2 gap-3">
        <div>
          <label for={`${id}-window`} class="field-label text-xs">
            Conversion window
          </label>
          <select
            id={`${id}-window`}
            class="field-input py-1.5"
            value={String(props.state.windowSeconds)}
            onChange={(event) => {
              const seconds = Number(event.currentTarget.value);
              props.onChange((state) => ({ ...state, windowSeconds: seconds }));
            }}
          >
            <Show when={!WINDOW_CHOICES.some((c) => c.seconds === props.state.windowSeconds)}>
              <option value={String(props.state.windowSeconds)}>{formatDuration(props.state.windowSeconds)}</option>
            </Show>
            <For each={WINDOW_CHOICES}>{(c) => <option value={String(c.seconds)}>{c.label}</option>}</For>
          </select>
        </div>
        <div>
          <label for={`${id}-by`} class="field-label text-xs">
            Count
          </label>
          <select
            id={`${id}-by`}
            class="field-input py-1.5"
            value={props.state.countBy}
            onChange={(event) => {
              const countBy = event.currentTarget.value === "sessions" ? "sessions" : "users";
              props.onChange((state) => ({ ...state, countBy }));
            }}
          >
            <option value="users">People</option>
            <option value="sessions">Sessions</option>
          </select>
        </div>
        <div class="col-span-2">
          <label for={`${id}-breakdown`} class="field-label text-xs">
            Break down by
          </label>
          <select
            id={`${id}-breakdown`}
            class="field-input py-1.5"
            value={breakdownChoice()}
            onChange={(event) => {
              const value = event.currentTarget.value;
              if (value === "property") {
                setPropertyKey("");
                return;
              }
              props.onChange((state) => ({ ...state, breakdown: value === "" ? null : value }));
            }}
          >
            <option value="">Nothing</option>
            <For each={DIMENSIONS}>{(d) => <option value={d.name}>{d.label}</option>}</For>
            <option value="property">Property…</option>
          </select>
          <form
            class="mt-2 flex gap-2"
            aria-label="Break down by a property"
            onSubmit={(event) => {
              event.preventDefault();
              const key = propertyKey().trim();
              if (key) props.onChange((state) => ({ ...state, breakdown: `property:${key}` }));
            }}
          >
            <label for={`${id}-property`} class="sr-only">
              Property key
            </label>
            <input
              id={`${id}-property`}
              class="field-input mt-0 py-1.5"
              placeholder={
                props.state.breakdown?.startsWith("property:")
                  ? props.state.breakdown.slice("property:".length)
                  : "or a property key, e.g. plan"
              }
              value={propertyKey()}
              onInput={(event) => setPropertyKey(event.currentTarget.value)}
            />
            <button type="submit" class="btn-secondary py-1.5">
              Use
            </button>
          </form>
        </div>
      </div>
    </section>
  );
}

function FunnelBars(props: {
  steps: FunnelStep[];
  countBy: "users" | "sessions";
  projectId: string;
  range: AnalyticsRange;
  input: FunnelQueryInput;
  timezone: string;
}) {
  const noun = () => (props.countBy === "sessions" ? "sessions" : "people");
  const [people, setPeople] = createSignal<{ step: number; dropped: boolean } | null>(null);
  return (
    <div class="flex flex-col gap-4">
      <ol class="flex flex-col gap-3" aria-label="Funnel steps">
        <For each={props.steps}>
          {(step, i) => {
            const previous = () => (i() === 0 ? step.count : props.steps[i() - 1]!.count);
            const dropped = () => previous() - step.count;
            return (
              <li class="flex flex-col gap-1" data-testid="funnel-step">
                <div class="flex flex-wrap items-baseline justify-between gap-2 text-sm">
                  <span class="min-w-0 truncate font-medium">
                    {i() + 1}. {stepLabel(step)}
                  </span>
                  <span class="tabular">
                    <span class="font-semibold" data-testid="funnel-count">
                      {formatExact(step.count)}
                    </span>{" "}
                    <span class="text-muted">
                      {noun()} · <span data-testid="funnel-conversion">{percent(step.conversionFromStart)}</span>
                    </span>
                  </span>
                </div>
                <div
                  class="h-6 w-full overflow-hidden rounded-md bg-zinc-100 dark:bg-zinc-800"
                  role="img"
                  aria-label={`${formatExact(step.count)} ${noun()}, ${percent(step.conversionFromStart)} of step 1`}
                >
                  <div
                    class="h-full rounded-md bg-indigo-600 dark:bg-indigo-400"
                    style={{ width: `${Math.max(step.count > 0 ? 1 : 0, step.conversionFromStart * 100)}%` }}
                  />
                </div>
                <div class="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-muted">
                  <Show when={i() > 0}>
                    <span>
                      {percent(step.conversionFromPrevious)} from step {i()} ·{" "}
                      <span data-testid="funnel-dropped">
                        {formatExact(dropped())} dropped ({percent(previous() ? dropped() / previous() : 0)})
                      </span>
                    </span>
                    <Show when={step.medianSecondsFromPrevious !== null}>
                      <span>
                        median {formatDuration(step.medianSecondsFromPrevious!)} after step {i()}
                      </span>
                    </Show>
                  </Show>
                  <Show when={props.countBy === "users"}>
                    <button type="button" class="link" onClick={() => setPeople({ step: i() + 1, dropped: false })}>
                      Who reached it
                    </button>
                    <Show when={i() > 0 && dropped() > 0}>
                      <button type="button" class="link" onClick={() => setPeople({ step: i() + 1, dropped: true })}>
                        Who dropped
                      </button>
                    </Show>
                  </Show>
                </div>
              </li>
            );
          }}
        </For>
      </ol>
      <Show when={people()}>
        {(which) => (
          <PeopleList
            projectId={props.projectId}
            range={props.range}
            input={props.input}
            step={which().step}
            dropped={which().dropped}
            event={stepLabel(props.steps[which().step - 1]!)}
            previousEvent={props.steps[which().step - 2] && stepLabel(props.steps[which().step - 2]!)}
            timezone={props.timezone}
            onClose={() => setPeople(null)}
          />
        )}
      </Show>
    </div>
  );
}

function PeopleList(props: {
  projectId: string;
  range: AnalyticsRange;
  input: FunnelQueryInput;
  step: number;
  dropped: boolean;
  event: string;
  previousEvent: string | undefined;
  timezone: string;
  onClose: () => void;
}) {
  const [cursors, setCursors] = createSignal<Array<string | undefined>>([undefined]);
  const cursor = () => cursors().at(-1);
  const page = useQuery(() =>
    funnelPeopleQuery(props.projectId, props.range, props.input, props.step, props.dropped, cursor()),
  );
  const title = () =>
    props.dropped
      ? `Reached step ${props.step - 1} (${props.previousEvent}) but not ${props.event}`
      : `Reached step ${props.step} (${props.event})`;
  return (
    <section class="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800" aria-label={title()}>
      <div class="mb-2 flex items-center justify-between gap-2">
        <h3 class="text-sm font-medium">{title()}</h3>
        <button type="button" class="btn-ghost px-2 py-1 text-xs" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <QueryBoundary query={page} label="Loading people" skeletonClass="h-24">
        {(data) => (
          <Show when={data().items.length > 0} fallback={<p class="text-sm text-muted">Nobody here.</p>}>
            <table class="w-full text-left text-sm">
              <thead class="text-xs uppercase tracking-wide text-muted">
                <tr>
                  <th scope="col" class="py-1 font-medium">
                    Person
                  </th>
                  <th scope="col" class="py-1 text-right font-medium">
                    {props.dropped ? "Last step at" : "Reached at"}
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={data().items}>
                  {(item) => (
                    <tr class="border-t border-zinc-100 dark:border-zinc-800">
                      <td class="max-w-0 truncate py-1 font-mono text-xs" title={item.distinctId}>
                        {item.distinctId}
                      </td>
                      <td class="py-1 text-right text-xs tabular">{formatDateTime(item.reachedAt, props.timezone)}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <div class="mt-2 flex gap-2">
              <Show when={cursors().length > 1}>
                <button
                  type="button"
                  class="btn-secondary px-2 py-1 text-xs"
                  onClick={() => setCursors(cursors().slice(0, -1))}
                >
                  Previous
                </button>
              </Show>
              <Show when={data().nextCursor}>
                {(next) => (
                  <button
                    type="button"
                    class="btn-secondary px-2 py-1 text-xs"
                    onClick={() => setCursors([...cursors(), next()])}
                  >
                    Next 50
                  </button>
                )}
              </Show>
            </div>
          </Show>
        )}
      </QueryBoundary>
    </section>
  );
}

function BreakdownTable(props: {
  rows: NonNullable<Outputs["funnel"]["breakdown"]>;
  steps: FunnelStep[];
  dimension: string;
}) {
  const label = () => dimensionLabel(props.dimension);
  const valueLabel = (value: string) => (value === "" ? "(none)" : value === FUNNEL_OTHER ? "Other values" : value);
  return (
    <section class="card min-w-0 p-4" aria-labelledby="funnel-breakdown-title">
      <h2 id="funnel-breakdown-title" class="mb-3 text-sm font-semibold">
        By {label()} (at step 1)
      </h2>
      {/* Focusable so keyboard users can scroll a wide table sideways on phones. */}
      <section class="focus-ring overflow-x-auto rounded" tabindex="0" aria-label={`By ${label()} table`}>
        <table class="w-full text-left text-sm">
          <thead class="text-xs uppercase tracking-wide text-muted">
            <tr>
              <th scope="col" class="py-1 pr-3 font-medium">
                {label()}
              </th>
              <For each={props.steps}>
                {(step, i) => (
                  <th scope="col" class="whitespace-nowrap px-2 py-1 text-right font-medium">
                    {i() + 1}. {stepLabel(step)}
                  </th>
                )}
              </For>
            </tr>
          </thead>
          <tbody>
            <For each={props.rows}>
              {(row) => (
                <tr class="border-t border-zinc-100 dark:border-zinc-800">
                  <th
                    scope="row"
                    class={`max-w-48 truncate py-1.5 pr-3 font-normal ${row.value === "" || row.value === FUNNEL_OTHER ? "italic text-muted" : ""}`}
                    title={row.value}
                  >
                    {valueLabel(row.value)}
                  </th>
                  <For each={row.steps}>
                    {(step, i) => (
                      <td class="whitespace-nowrap px-2 py-1.5 text-right tabular">
                        {formatExact(step.count)}
                        <Show when={i() > 0}>
                          <span class="text-xs text-muted"> ({percent(step.conversionFromStart)})</span>
                        </Show>
                      </td>
                    )}
                  </For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </section>
    </section>
  );
}
