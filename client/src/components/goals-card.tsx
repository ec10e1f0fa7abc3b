/**
 * The Goals card: per goal over the dashboard's range and filters, uniques (people converting), conversions
 * (matching events) and the conversion rate (uniques / visitors). "Add goal" opens a form for an event goal (with
 * optional filters, built like the dashboard's) or a page path goal (`*` one segment, `**` any); deleting asks
 * first, since the goal is gone for every funnel using it. `readOnly` (the share page): the figures by goal name only,
 * no adding or deleting, and no description (a share's goals come without their filters, routers/goals.ts).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, createUniqueId, For, Show } from "solid-js";
import type { AnalyticsRange, Filter } from "../lib/dashboard-state.ts";
import { describeFilter } from "../lib/dimensions.ts";
import { describeProblem } from "../lib/errors.ts";
import { formatExact } from "../lib/format.ts";
import { type Goal, goalStatsQuery, goalsListQuery, keys } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";
import { td, th } from "./activity-tables.tsx";
import { ConfirmDialog, Dialog } from "./dialog.tsx";
import { TextField } from "./field.tsx";
import { FilterBuilder } from "./filter-builder.tsx";
import { QueryBoundary } from "./query-boundary.tsx";

const formatRate = (rate: number) =>
  `${(rate * 100).toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 })}%`;

/** What a goal matches, in words ("signup where Plan is pro", "page /blog/*"). */
export function describeGoal(goal: Pick<Goal, "event" | "filters" | "pathPattern">): string {
  if (goal.pathPattern !== null) return `Page ${goal.pathPattern}`;
  const filters = goal.filters.map((f) => describeFilter(f as Filter));
  return filters.length ? `Event ${goal.event} where ${filters.join(" and ")}` : `Event ${goal.event}`;
}

export function GoalsCard(props: { projectId: string; range: AnalyticsRange; readOnly?: boolean }) {
  const queryClient = useQueryClient();
  const goals = useQuery(() => goalsListQuery(props.projectId));
  const stats = useQuery(() => goalStatsQuery(props.projectId, props.range));
  const [adding, setAdding] = createSignal(false);
  const [deleting, setDeleting] = createSignal<Goal | null>(null);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: keys.goals(props.projectId) });
    await queryClient.invalidateQueries({ queryKey: [...keys.analytics(props.projectId), "goals"] });
  };
  const remove = useMutation(() => ({
    mutationFn: (goal: Goal) => trpc.goals.delete.mutate({ projectId: props.projectId, goalId: goal.id }),
    onSuccess: async () => {
      setDeleting(null);
      await refresh();
    },
  }));
  const statsOf = (goalId: string) => stats.data?.goals.find((g) => g.goalId === goalId);
  return (
    <section class="card min-w-0 p-4" aria-labelledby="goals-title">
      <div class="mb-3 flex items-center justify-between gap-3">
        <h2 id="goals-title" class="text-sm font-semibold">
          Goals
        </h2>
        <Show when={!props.readOnly}>
          <button type="button" class="btn-secondary py-1 text-xs" onClick={() => setAdding(true)}>
            Add goal
          </button>
        </Show>
      </div>
      <QueryBoundary query={goals} label="Loading goals" skeletonClass="h-24">
        {(list) => (
          <Show
            when={list().length > 0}
            fallback={
              <p class="py-6 text-center text-sm text-muted">
                {props.readOnly
                  ? "No goals on this project."
                  : "No goals yet. A goal counts the people who send an event or visit a page."}
              </p>
            }
          >
            <div class="-mx-4 overflow-x-auto sm:mx-0">
              <table class="min-w-full text-sm tabular">
                <caption class="sr-only">Goals</caption>
                <thead class="border-b border-zinc-200 dark:border-zinc-800">
                  <tr>
                    <th scope="col" class={th}>
                      Goal
                    </th>
                    <th scope="col" class={`${th} text-right`}>
                      Uniques
                    </th>
                    <th scope="col" class={`${th} text-right`}>
                      Conversions
                    </th>
                    <th scope="col" class={`${th} text-right`}>
                      Rate
                    </th>
                    <Show when={!props.readOnly}>
                      <th scope="col" class={th}>
                        <span class="sr-only">Actions</span>
                      </th>
                    </Show>
                  </tr>
                </thead>
                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                  <For each={list()}>
                    {(goal) => (
                      <tr>
                        <td class="px-3 py-2">
                          <span class="block font-medium">{goal.name}</span>
                          <Show when={!props.readOnly}>
                            <span class="block max-w-64 truncate text-xs text-muted" title={describeGoal(goal)}>
                              {describeGoal(goal)}
                            </span>
                          </Show>
                        </td>
                        <td class={`${td} text-right`}>{figure(statsOf(goal.id)?.uniques, stats.isError)}</td>
                        <td class={`${td} text-right`}>{figure(statsOf(goal.id)?.conversions, stats.isError)}</td>
                        <td class={`${td} text-right`}>
                          {statsOf(goal.id) ? formatRate(statsOf(goal.id)!.conversionRate) : stats.isError ? "–" : "…"}
                        </td>
                        <Show when={!props.readOnly}>
                          <td class={`${td} text-right`}>
                            <button
                              type="button"
                              class="link text-xs"
                              aria-label={`Delete goal ${goal.name}`}
                              onClick={() => {
                                remove.reset();
                                setDeleting(goal);
                              }}
                            >
                              Delete
                            </button>
                          </td>
                        </Show>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <Show when={stats.data}>
              {(report) => (
                <p class="mt-2 text-xs text-muted">
                  Conversion rate: uniques out of {formatExact(report().visitors)} visitors in this period.
                </p>
              )}
            </Show>
            <Show when={stats.error}>
              {(error) => (
                <p role="alert" class="mt-2 text-xs text-red-600 dark:text-red-400">
                  {describeProblem(error()).message}
                </p>
              )}
            </Show>
          </Show>
        )}
      </QueryBoundary>
      <Show when={!props.readOnly}>
        <AddGoalDialog
          projectId={props.projectId}
          open={adding()}
          onClose={() => setAdding(false)}
          onAdded={async () => {
            setAdding(false);
            await refresh();
          }}
        />
        <ConfirmDialog
          open={deleting() !== null}
          title="Delete this goal?"
          confirmLabel="Delete goal"
          danger
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => {
            const goal = deleting();
            if (goal) remove.mutate(goal);
          }}
          onClose={() => setDeleting(null)}
        >
          <p>
            “{deleting()?.name}” will be deleted for everyone on this project; funnels that use it as a step stop
            working.
          </p>
        </ConfirmDialog>
      </Show>
    </section>
  );
}

function figure(value: number | undefined, failed: boolean): string {
  if (value !== undefined) return formatExact(value);
  return failed ? "–" : "…";
}

function AddGoalDialog(props: { projectId: string; open: boolean; onClose: () => void; onAdded: () => void }) {
  const formId = createUniqueId();
  const [name, setName] = createSignal("");
  const [kind, setKind] = createSignal<"event" | "path">("event");
  const [event, setEvent] = createSignal("");
  const [pathPattern, setPathPattern] = createSignal("");
  const [filters, setFilters] = createSignal<Filter[]>([]);
  const create = useMutation(() => ({
    mutationFn: () =>
      trpc.goals.create.mutate(
        kind() === "event"
          ? {
              projectId: props.projectId,
              name: name(),
              event: event().trim(),
              filters: filters().length ? filters() : undefined,
            }
          : { projectId: props.projectId, name: name(), pathPattern: pathPattern().trim() },
      ),
    onSuccess: () => {
      setName("");
      setEvent("");
      setPathPattern("");
      setFilters([]);
      props.onAdded();
    },
  }));
  const problem = () => (create.error ? describeProblem(create.error) : null);
  const fields = () => problem()?.fields ?? {};
  const fieldError = (name: string) => fields()[name];
  /** A refusal no field of the form shows (a goal filter's, the goal limit): said under the form. */
  const formMessage = () =>
    problem() && !["name", "event", "pathPattern"].some((name) => fields()[name]) ? problem()!.message : null;
  return (
    <Dialog open={props.open} title="Add a goal" onClose={props.onClose}>
      {/* The filter builder is a form of its own, so it sits after the goal's form, not inside it. */}
      <form
        id={formId}
        class="flex flex-col gap-4"
        aria-label="Add a goal"
        novalidate
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <TextField
          label="Name"
          name="name"
          required
          maxLength={100}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
          error={fieldError("name")}
        />
        <fieldset class="flex gap-4 text-sm">
          <legend class="field-label">Counts</legend>
          <label class="flex items-center gap-1.5">
            <input type="radio" name="kind" checked={kind() === "event"} onChange={() => setKind("event")} />
            An event
          </label>
          <label class="flex items-center gap-1.5">
            <input type="radio" name="kind" checked={kind() === "path"} onChange={() => setKind("path")} />A page visit
          </label>
        </fieldset>
        <Show
          when={kind() === "event"}
          fallback={
            <TextField
              label="Page path"
              name="pathPattern"
              placeholder="/blog/*"
              hint="* matches one path segment, ** any number of them (/docs/**)."
              value={pathPattern()}
              onInput={(e) => setPathPattern(e.currentTarget.value)}
              error={fieldError("pathPattern")}
            />
          }
        >
          <TextField
            label="Event name"
            name="event"
            placeholder="signup"
            value={event()}
            onInput={(e) => setEvent(e.currentTarget.value)}
            error={fieldError("event")}
          />
        </Show>
      </form>
      <Show when={kind() === "event"}>
        <div class="mt-4">
          <p class="field-label">Only events where (optional)</p>
          <FilterBuilder onAdd={(filter) => setFilters((list) => [...list, filter])} />
          <ul class="mt-2 flex flex-col gap-1 text-sm" aria-label="Goal filters">
            <For each={filters()}>
              {(filter, i) => (
                <li class="flex items-center gap-2">
                  <span>{describeFilter(filter)}</span>
                  <button
                    type="button"
                    class="link text-xs"
                    aria-label={`Remove goal filter: ${describeFilter(filter)}`}
                    onClick={() => setFilters((list) => list.filter((_, k) => k !== i()))}
                  >
                    Remove
                  </button>
                </li>
              )}
            </For>
          </ul>
        </div>
      </Show>
      <Show when={formMessage()}>
        {(message) => (
          <p role="alert" class="mt-4 text-sm text-red-600 dark:text-red-400">
            {message()}
          </p>
        )}
      </Show>
      <div class="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <button type="button" class="btn-secondary" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button type="submit" form={formId} class="btn-primary" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add goal"}
        </button>
      </div>
    </Dialog>
  );
}
