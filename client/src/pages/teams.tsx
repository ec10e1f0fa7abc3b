/**
 * The person's teams (personal first) with their role, and "New team". A team owns projects; its members' roles
 * decide what each may do there (shared/roles.ts). The administrator also sees every team of the server.
 */
import { A } from "@solidjs/router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { TextField } from "../components/field.tsx";
import { FormError, QueryBoundary } from "../components/query-boundary.tsx";
import { describeProblem } from "../lib/errors.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { keys, meQuery, type Team, teamListQuery } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

export default function TeamsPage() {
  usePageTitle(() => "Teams");
  const me = useQuery(() => meQuery());
  const teams = useQuery(() => teamListQuery());
  const allTeams = useQuery(() => ({
    queryKey: [...keys.teams(), "all"],
    queryFn: () => trpc.teams.list.query({ all: true }),
    enabled: me.data?.isSuperuser === true,
  }));
  const queryClient = useQueryClient();
  const [name, setName] = createSignal("");
  const create = useMutation(() => ({
    mutationFn: () => trpc.teams.create.mutate({ name: name().trim() }),
    onSuccess: async () => {
      setName("");
      await queryClient.invalidateQueries({ queryKey: keys.teams() });
    },
  }));

  return (
    <div class="flex flex-col gap-6">
      <div>
        <h1 class="text-2xl font-semibold tracking-tight">Teams</h1>
        <p class="text-sm text-muted">Projects belong to a team; invite people to a team to share its projects.</p>
      </div>
      <QueryBoundary query={teams} label="Loading teams" skeletonClass="h-32">
        {(list) => <TeamTable teams={list()} label="Your teams" />}
      </QueryBoundary>
      <section class="card p-5" aria-labelledby="new-team-title">
        <h2 id="new-team-title" class="text-lg font-semibold">
          New team
        </h2>
        <form
          class="mt-4 flex flex-wrap items-end gap-3"
          novalidate
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
          <TextField
            label="Name"
            name="name"
            maxLength={100}
            value={name()}
            onInput={(event) => setName(event.currentTarget.value)}
            error={create.error ? describeProblem(create.error).fields.name : undefined}
          />
          <button type="submit" class="btn-primary" disabled={create.isPending}>
            Create
          </button>
        </form>
        <FormError error={create.error && !describeProblem(create.error).fields.name ? create.error : null} />
      </section>
      <Show when={me.data?.isSuperuser && allTeams.data}>
        {(list) => <TeamTable teams={list()} label="Every team (administrator)" />}
      </Show>
    </div>
  );
}

function TeamTable(props: { teams: Team[]; label: string }) {
  return (
    <section class="card overflow-x-auto" aria-label={props.label}>
      <h2 class="px-5 pt-4 text-base font-semibold">{props.label}</h2>
      <table class="mt-2 w-full text-sm">
        <thead class="text-left text-muted">
          <tr>
            <th class="px-5 py-2 font-medium">Team</th>
            <th class="px-5 py-2 font-medium">Your role</th>
            <th class="px-5 py-2 font-medium">Members</th>
            <th class="px-5 py-2 font-medium">Projects</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.teams}>
            {(team) => (
              <tr class="border-t border-zinc-100 dark:border-zinc-800">
                <td class="px-5 py-2">
                  <A class="link" href={`/teams/${team.id}`}>
                    {team.name}
                  </A>
                  <Show when={team.personal}>
                    <span class="ml-2 text-xs text-muted">personal</span>
                  </Show>
                </td>
                <td class="px-5 py-2">{team.role ?? "—"}</td>
                <td class="px-5 py-2">{team.memberCount}</td>
                <td class="px-5 py-2">{team.projectCount}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </section>
  );
}
