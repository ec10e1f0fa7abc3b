/** A team's audit log, newest first, a page at a time (owners and admins; the server refuses anyone else). */
import { A, useParams } from "@solidjs/router";
import { useInfiniteQuery } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import { FormError } from "../components/query-boundary.tsx";
import { formatDateTime } from "../lib/format.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { keys } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export default function TeamAuditPage() {
  usePageTitle(() => "Audit log");
  const params = useParams<{ id: string }>();
  const audit = useInfiniteQuery(() => ({
    queryKey: [...keys.teams(), "audit", params.id],
    queryFn: ({ pageParam }) => trpc.audit.list.query({ teamId: params.id, cursor: pageParam }),
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
        <p class="text-sm text-muted">Who changed what in this team: members, invitations, projects and keys.</p>
      </div>
      <FormError error={audit.error} />
      <section class="card overflow-x-auto">
        <table class="w-full text-sm">
          <thead class="text-left text-muted">
            <tr>
              <th class="px-5 py-2 font-medium">When</th>
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
