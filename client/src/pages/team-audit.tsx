/**
 * A team's audit log, newest first, a page at a time (owners and admins; the server refuses anyone else). The
 * administrator gets an "Every team" toggle: audit.list without teamId, the whole server's log with a Team column.
 */
import { A, useParams } from "@solidjs/router";
import { useInfiniteQuery, useQuery } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { FormError } from "../components/query-boundary.tsx";
import { formatDateTime } from "../lib/format.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { keys, meQuery } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export default function TeamAuditPage() {
  usePageTitle(() => "Audit log");
  const params = useParams<{ id: string }>();
  const me = useQuery(() => meQuery());
  const [everyTeam, setEveryTeam] = createSignal(false);
  const allTeams = () => everyTeam() && me.data?.isSuperuser === true;
  // Team names for the all-teams view (the administrator's teams.list({ all: true })).
  const teamNames = useQuery(() => ({
    queryKey: [...keys.teams(), "all"],
    queryFn: () => trpc.teams.list.query({ all: true }),
    enabled: allTeams(),
  }));
  const teamName = (id: string) => teamNames.data?.find((team) => team.id === id)?.name ?? id;
  const audit = useInfiniteQuery(() => ({
    queryKey: [...keys.teams(), "audit", allTeams() ? "all" : params.id],
    queryFn: ({ pageParam }) =>
      trpc.audit.list.query(allTeams() ? { cursor: pageParam } : { teamId: params.id, cursor: pageParam }),
    initialPageParam: null as number | null,
    getNextPageParam: (page) => page.nextCursor,
  }));
  const entries = () => audit.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div class="flex flex-col gap-4">
      <div>
        <A class="link text-sm" href={`/teams/${params.id}`}>
          ← Team
        </A>
        <h1 class="text-2xl font-semibold tracking-tight">Audit log</h1>
        <p class="text-sm text-muted">
          {allTeams()
            ? "Who changed what in every team of this server."
            : "Who changed what in this team: members, invitations, projects and keys."}
        </p>
        <Show when={me.data?.isSuperuser}>
          <label class="mt-2 flex items-center gap-2 text-sm">
            <input type="checkbox" checked={everyTeam()} onChange={(e) => setEveryTeam(e.currentTarget.checked)} />
            Every team (administrator)
          </label>
        </Show>
      </div>
      <FormError error={audit.error} />
      {/* Focusable so that keyboard users can scroll the wide table sideways. */}
      <section class="card overflow-x-auto" tabindex="0" aria-label="Audit entries">
        <table class="w-full text-sm">
          <thead class="text-left text-muted">
            <tr>
              <th class="px-5 py-2 font-medium">When</th>
              <Show when={allTeams()}>
                <th class="px-5 py-2 font-medium">Team</th>
              </Show>
              <th class="px-5 py-2 font-medium">Who</th>
              <th class="px-5 py-2 font-medium">What</th>
              <th class="px-5 py-2 font-medium">On</th>
              <th class="px-5 py-2 font-medium">Details</th>
            </tr>
          </thead>
          <tbody>
            <For each={entries()}>
              {(entry) => (
                <tr class="border-t border-zinc-100 align-top dark:border-zinc-800">
                  <td class="whitespace-nowrap px-5 py-2">{formatDateTime(entry.createdAt, timeZone)}</td>
                  <Show when={allTeams()}>
                    <td class="px-5 py-2">{teamName(entry.teamId)}</td>
                  </Show>
                  <td class="px-5 py-2">{entry.actorEmail ?? "administrator (command line)"}</td>
                  <td class="px-5 py-2 font-mono text-xs">{entry.action}</td>
                  <td class="px-5 py-2">{entry.target ?? ""}</td>
                  <td class="px-5 py-2 font-mono text-xs">{entry.details ? JSON.stringify(entry.details) : ""}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </section>
      <Show when={audit.hasNextPage}>
        <button
          type="button"
          class="btn-ghost self-start"
          disabled={audit.isFetchingNextPage}
          onClick={() => void audit.fetchNextPage()}
        >
          Load more
        </button>
      </Show>
    </div>
  );
}
