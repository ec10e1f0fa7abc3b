/**
 * The person's projects, and "New project": name and optional domain; after creating, the full key and the snippet
 * are shown once with a link to the new dashboard.
 */
import { A } from "@solidjs/router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { roleAtLeast } from "../../../shared/roles.ts";
import { ApiKeyReveal } from "../components/api-key-reveal.tsx";
import { TextField } from "../components/field.tsx";
import { FormError, QueryBoundary } from "../components/query-boundary.tsx";
import { describeProblem } from "../lib/errors.ts";
import { formatDate } from "../lib/format.ts";
import { rememberFreshKey } from "../lib/fresh-keys.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { keys, projectListQuery, teamListQuery } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

export default function ProjectsPage() {
  usePageTitle(() => "Projects");
  const projects = useQuery(() => projectListQuery());
  const [formOpen, setFormOpen] = createSignal(false);
  const [created, setCreated] = createSignal<{ id: string; name: string; apiKey: string } | null>(null);

  return (
    <div class="flex flex-col gap-6">
      <div class="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 class="text-2xl font-semibold tracking-tight">Projects</h1>
          <p class="text-sm text-muted">Each project has its own API key and dashboard.</p>
        </div>
        <Show when={!formOpen()}>
          <button
            type="button"
            class="btn-primary"
            onClick={() => {
              setCreated(null);
              setFormOpen(true);
            }}
          >
            <span aria-hidden="true">+</span> New project
          </button>
        </Show>
      </div>

      <Show when={formOpen()}>
        <NewProjectForm
          onCancel={() => setFormOpen(false)}
          onCreated={(result) => {
            setFormOpen(false);
            setCreated(result);
          }}
        />
      </Show>

      <Show when={created()}>
        {(result) => (
          <section aria-labelledby="created-title" class="card border-emerald-300 p-5 dark:border-emerald-800">
            <div class="flex flex-wrap items-start justify-between gap-3">
              <div>
                <h2 id="created-title" class="text-lg font-semibold">
                  {result().name} is ready
                </h2>
                <p class="text-sm text-muted">
                  Add the snippet to your site, then open the dashboard to see events arrive.
                </p>
              </div>
              <div class="flex gap-2">
                <A href={`/projects/${result().id}`} class="btn-primary">
                  Open dashboard
                </A>
                <button type="button" class="btn-ghost" onClick={() => setCreated(null)}>
                  Done
                </button>
              </div>
            </div>
            <div class="mt-4">
              <ApiKeyReveal apiKey={result().apiKey} />
            </div>
          </section>
        )}
      </Show>

      <QueryBoundary query={projects} label="Loading projects" skeletonClass="h-48">
        {(list) => (
          <Show
            when={list().length > 0}
            fallback={
              <Show when={!formOpen() && !created()}>
                <div class="card flex flex-col items-center gap-3 px-6 py-14 text-center">
                  <h2 class="text-lg font-semibold">No projects yet</h2>
                  <p class="max-w-md text-sm text-muted">
                    A project is one website or app. Create one to get an API key and the snippet to install.
                  </p>
                  <button type="button" class="btn-primary" onClick={() => setFormOpen(true)}>
                    New project
                  </button>
                </div>
              </Show>
            }
          >
            <ul class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Projects">
              <For each={list()}>
                {(project) => (
                  <li class="card group relative p-5 transition hover:(border-indigo-300 shadow-md) dark:hover:border-indigo-700">
                    <h2 class="truncate text-base font-semibold">
                      <A
                        href={`/projects/${project.id}`}
                        class="focus-ring rounded after:(absolute inset-0 content-empty)"
                      >
                        {project.name}
                      </A>
                    </h2>
                    <p class="mt-1 truncate text-sm text-muted">{project.domain ?? "Any domain"}</p>
                    <p class="mt-1 truncate text-xs text-muted">
                      Team {project.teamName} · {project.role}
                    </p>
                    <dl class="mt-4 flex items-center justify-between gap-2 text-xs text-muted">
                      <div>
                        <dt class="sr-only">Key prefix</dt>
                        <dd class="rounded bg-zinc-100 px-1.5 py-0.5 font-mono dark:bg-zinc-800">
                          {project.apiKeyPrefix}…
                        </dd>
                      </div>
                      <div>
                        <dt class="sr-only">Created</dt>
                        <dd>Created {formatDate(project.createdAt)}</dd>
                      </div>
                    </dl>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </QueryBoundary>
    </div>
  );
}

function NewProjectForm(props: {
  onCancel: () => void;
  onCreated: (result: { id: string; name: string; apiKey: string }) => void;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = createSignal("");
  const [domain, setDomain] = createSignal("");
  // Projects can be made in the teams where the person is an admin or owner; the personal team by default.
  const teams = useQuery(() => teamListQuery());
  const writableTeams = () => (teams.data ?? []).filter((team) => team.role && roleAtLeast(team.role, "admin"));
  const [teamId, setTeamId] = createSignal("");
  const create = useMutation(() => ({
    mutationFn: () =>
      trpc.projects.create.mutate({
        name: name().trim(),
        domain: domain().trim() || undefined,
        teamId: teamId() || undefined,
      }),
    onSuccess: async (result) => {
      rememberFreshKey(result.project.id, result.apiKey);
      await queryClient.invalidateQueries({ queryKey: keys.projects() });
      props.onCreated({ id: result.project.id, name: result.project.name, apiKey: result.apiKey });
    },
  }));
  const fields = () => (create.error ? describeProblem(create.error).fields : {});
  return (
    <section aria-labelledby="new-project-title" class="card p-5">
      <h2 id="new-project-title" class="text-lg font-semibold">
        New project
      </h2>
      <form
        class="mt-4 grid gap-4 sm:grid-cols-2"
        novalidate
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <TextField
          label="Name"
          name="name"
          required
          maxLength={100}
          autofocus
          placeholder="My website"
          value={name()}
          onInput={(event) => setName(event.currentTarget.value)}
          error={fields().name}
        />
        <TextField
          label="Domain"
          name="domain"
          placeholder="example.com"
          hint="Optional. When set, browsers on other sites cannot send events with this key."
          value={domain()}
          onInput={(event) => setDomain(event.currentTarget.value)}
          error={fields().domain}
        />
        <Show when={writableTeams().length > 1}>
          <label class="flex flex-col gap-1 text-sm">
            Team
            <select class="field-input" value={teamId()} onChange={(event) => setTeamId(event.currentTarget.value)}>
              <For each={writableTeams()}>
                {(team) => <option value={team.personal ? "" : team.id}>{team.name}</option>}
              </For>
            </select>
          </label>
        </Show>
        <div class="sm:col-span-2">
          <FormError error={Object.keys(fields()).length ? null : create.error} />
        </div>
        <div class="flex gap-2 sm:col-span-2">
          <button type="submit" class="btn-primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create"}
          </button>
          <button type="button" class="btn-ghost" onClick={() => props.onCancel()}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
