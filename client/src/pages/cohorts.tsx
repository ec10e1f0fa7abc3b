/**
 * The Cohorts page: the project's cohorts with their size now and 30 days ago, a condition builder to create or edit
 * one, and deletion (refused, with the names, while other cohorts refer to it). "View people" opens the People page
 * filtered by the cohort; any dashboard view takes the same filter from its "Add filter" form.
 */
import { A, useParams } from "@solidjs/router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { EARLIEST_RANGE_DATE } from "../../../shared/analytics-constants.ts";
import type { CohortDefinition } from "../../../shared/cohorts.ts";
import { Table, td, th } from "../components/activity-tables.tsx";
import { AnalysisNav } from "../components/analysis-nav.tsx";
import { CohortEditor } from "../components/cohort-editor.tsx";
import { ConfirmDialog } from "../components/dialog.tsx";
import { QueryBoundary } from "../components/query-boundary.tsx";
import { RawDataNotice } from "../components/raw-data-notice.tsx";
import { serializeFilter } from "../lib/dashboard-state.ts";
import { formatExact } from "../lib/format.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { type CohortItem, cohortsQuery, keys, projectQuery } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

type Editing = { mode: "new" } | { mode: "edit"; cohort: CohortItem } | null;

export default function CohortsPage() {
  const params = useParams<{ id: string }>();
  const queryClient = useQueryClient();
  const project = useQuery(() => projectQuery(params.id));
  usePageTitle(() => (project.data ? `Cohorts · ${project.data.name}` : "Cohorts"));
  const list = useQuery(() => cohortsQuery(params.id));
  const [editing, setEditing] = createSignal<Editing>(null);
  const [deleting, setDeleting] = createSignal<CohortItem | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: [...keys.analytics(params.id), "cohorts"] });

  const save = useMutation(() => ({
    mutationFn: (input: { name: string; definition: CohortDefinition }) => {
      const current = editing();
      return current?.mode === "edit"
        ? trpc.cohorts.update.mutate({ projectId: params.id, cohortId: current.cohort.id, ...input })
        : trpc.cohorts.create.mutate({ projectId: params.id, ...input });
    },
    onSuccess: async () => {
      setEditing(null);
      await refresh();
    },
  }));
  const remove = useMutation(() => ({
    mutationFn: (cohortId: string) => trpc.cohorts.delete.mutate({ projectId: params.id, cohortId }),
    onSuccess: async () => {
      setDeleting(null);
      await refresh();
    },
  }));

  const others = () => {
    const current = editing();
    const all = list.data?.items ?? [];
    return current?.mode === "edit" ? all.filter((c) => c.id !== current.cohort.id) : all;
  };

  return (
    <div class="flex flex-col gap-5">
      <div class="flex flex-wrap items-end justify-between gap-3">
        <div class="min-w-0">
          <nav aria-label="Breadcrumb" class="text-xs text-muted">
            <A href="/projects" class="link">
              Projects
            </A>{" "}
            / {project.data?.name ?? "Project"}
          </nav>
          <h1 class="mt-1 text-2xl font-semibold tracking-tight">Cohorts</h1>
          <p class="text-sm text-muted">Saved groups of people, usable as a filter on every view.</p>
        </div>
        <Show when={!editing()}>
          <button
            type="button"
            class="btn-primary"
            onClick={() => {
              save.reset();
              setEditing({ mode: "new" });
            }}
          >
            New cohort
          </button>
        </Show>
      </div>
      <AnalysisNav projectId={params.id} />
      <Show when={editing()}>
        {(current) => (
          <section class="card p-4" aria-label={current().mode === "new" ? "New cohort" : "Edit cohort"}>
            <h2 class="mb-3 text-lg font-semibold">{current().mode === "new" ? "New cohort" : "Edit cohort"}</h2>
            <CohortEditor
              initialName={current().mode === "edit" ? (current() as { cohort: CohortItem }).cohort.name : ""}
              initialDefinition={
                current().mode === "edit" ? (current() as { cohort: CohortItem }).cohort.definition : undefined
              }
              cohorts={others()}
              pending={save.isPending}
              error={save.error}
              submitLabel={current().mode === "new" ? "Create cohort" : "Save changes"}
              onSubmit={(name, definition) => save.mutate({ name, definition })}
              onCancel={() => setEditing(null)}
            />
          </section>
        )}
      </Show>
      {/* Conditions are evaluated over the kept events: with a retention, rawDataFrom on. */}
      <RawDataNotice rawDataFrom={list.data?.rawDataFrom} range={{ from: EARLIEST_RANGE_DATE, timezone: "UTC" }} />
      <section class="card p-4" aria-label="Cohorts">
        <QueryBoundary query={list} label="Loading cohorts" skeletonClass="h-40">
          {(result) => (
            <Show
              when={result().items.length > 0}
              fallback={<p class="py-8 text-center text-sm text-muted">No cohorts yet.</p>}
            >
              <Table
                caption="Cohorts"
                head={
                  <tr>
                    <th scope="col" class={th}>
                      Name
                    </th>
                    <th scope="col" class={`${th} text-right`}>
                      People now
                    </th>
                    <th scope="col" class={`${th} text-right`}>
                      30 days ago
                    </th>
                    <th scope="col" class={th}>
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                }
              >
                <For each={result().items}>
                  {(cohort) => (
                    <tr>
                      <td class={td}>{cohort.name}</td>
                      <td class={`${td} text-right`}>{cohort.size === null ? "…" : formatExact(cohort.size)}</td>
                      <td class={`${td} text-right text-muted`}>
                        {cohort.sizeAtStart === null ? "…" : formatExact(cohort.sizeAtStart)}
                      </td>
                      <td class={`${td} whitespace-nowrap text-right`}>
                        <A
                          class="link text-sm"
                          href={`/projects/${params.id}/people?f=${encodeURIComponent(
                            serializeFilter({ dimension: "cohort", op: "in", value: cohort.id }),
                          )}`}
                        >
                          View people
                        </A>{" "}
                        <button
                          type="button"
                          class="link ml-3 text-sm"
                          onClick={() => {
                            save.reset();
                            setEditing({ mode: "edit", cohort });
                          }}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          class="link ml-3 text-sm text-red-600"
                          onClick={() => {
                            remove.reset();
                            setDeleting(cohort);
                          }}
                        >
                          Delete
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </Table>
            </Show>
          )}
        </QueryBoundary>
      </section>
      <ConfirmDialog
        open={deleting() !== null}
        title="Delete this cohort?"
        confirmLabel="Delete"
        danger
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => {
          const cohort = deleting();
          if (cohort) remove.mutate(cohort.id);
        }}
        onClose={() => setDeleting(null)}
      >
        "{deleting()?.name}" will be gone, and views filtered by it will stop loading. Cohorts that refer to it must be
        changed first.
      </ConfirmDialog>
    </div>
  );
}
