/**
 * A person's page, reached under any of its ids: its canonical id and aliases, traits, lifetime figures, latest
 * sessions, and its events under all ids as a timeline grouped by session (newest first, fifty at a time).
 */
import { A, useNavigate, useParams } from "@solidjs/router";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createMemo, createSignal, For, Show } from "solid-js";
import { EARLIEST_RANGE_DATE } from "../../../shared/analytics-constants.ts";
import { ConfirmDialog } from "../components/dialog.tsx";
import { QueryBoundary } from "../components/query-boundary.tsx";
import { RawDataNotice } from "../components/raw-data-notice.tsx";
import { viewerTimeZone } from "../lib/dashboard-state.ts";
import { formatDateTime, formatExact } from "../lib/format.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { readPersonParam } from "../lib/person-path.ts";
import { type Person, type PersonEvent, personEventsQuery, personQuery, projectQuery } from "../lib/queries.ts";
import { describeTrait } from "../lib/traits.ts";
import { trpc } from "../lib/trpc.ts";

export default function PersonPage() {
  const params = useParams<{ id: string; distinctId: string }>();
  const distinctId = () => readPersonParam(params.distinctId);
  const project = useQuery(() => projectQuery(params.id));
  const person = useQuery(() => personQuery(params.id, distinctId()));
  usePageTitle(() => person.data?.distinctId ?? distinctId());
  const timezone = viewerTimeZone();

  return (
    <div class="flex flex-col gap-5">
      <nav aria-label="Breadcrumb" class="min-w-0 truncate text-xs text-muted">
        <A href="/projects" class="link">
          Projects
        </A>{" "}
        /{" "}
        <A href={`/projects/${params.id}`} class="link">
          {project.data?.name ?? "Project"}
        </A>{" "}
        /{" "}
        <A href={`/projects/${params.id}/people`} class="link">
          People
        </A>{" "}
        / {distinctId()}
      </nav>
      {/* A person's figures, sessions and events are their kept ones: with a retention, rawDataFrom on. */}
      <RawDataNotice rawDataFrom={person.data?.rawDataFrom} range={{ from: EARLIEST_RANGE_DATE, timezone: "UTC" }} />
      <QueryBoundary query={person} label="Loading the person" skeletonClass="h-40">
        {(p) => <PersonDetails projectId={params.id} person={p()} asked={distinctId()} timezone={timezone} />}
      </QueryBoundary>
    </div>
  );
}

function PersonDetails(props: { projectId: string; person: Person; asked: string; timezone: string }) {
  const traits = () => Object.entries(props.person.traits).sort(([a], [b]) => a.localeCompare(b));
  return (
    <>
      <div class="min-w-0">
        <h1 class="truncate text-2xl font-semibold tracking-tight" title={props.person.distinctId}>
          {props.person.distinctId}
        </h1>
        <Show when={props.asked !== props.person.distinctId}>
          <p class="text-sm text-muted">Found under the anonymous id {props.asked}, now part of this person.</p>
        </Show>
        <PrivacyActions projectId={props.projectId} distinctId={props.person.distinctId} />
      </div>
      <dl class="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Figure label="Events" value={formatExact(props.person.eventCount)} />
        <Figure label="Sessions" value={formatExact(props.person.sessionCount)} />
        <Figure label="First seen" value={formatDateTime(props.person.firstSeen, props.timezone)} />
        <Figure label="Last seen" value={formatDateTime(props.person.lastSeen, props.timezone)} />
      </dl>
      <div class="grid gap-5 md:grid-cols-2">
        <section class="card min-w-0 p-4" aria-labelledby="traits-title">
          <h2 id="traits-title" class="mb-2 text-sm font-semibold">
            Traits
          </h2>
          <Show
            when={traits().length > 0}
            fallback={<p class="text-sm text-muted">No traits yet: identify or $set properties add them.</p>}
          >
            <dl class="divide-y divide-zinc-100 text-sm dark:divide-zinc-800">
              <For each={traits()}>
                {([key, value]) => (
                  <div class="flex gap-3 py-1.5">
                    <dt class="w-1/3 shrink-0 truncate font-medium" title={key}>
                      {key}
                    </dt>
                    <dd class="min-w-0 break-words text-muted">{describeTrait(value)}</dd>
                  </div>
                )}
              </For>
            </dl>
          </Show>
        </section>
        <section class="card min-w-0 p-4" aria-labelledby="aliases-title">
          <h2 id="aliases-title" class="mb-2 text-sm font-semibold">
            Ids
          </h2>
          <ul class="flex flex-col gap-1 text-sm">
            <li class="truncate font-mono text-xs" title={props.person.distinctId}>
              {props.person.distinctId} <span class="font-sans text-muted">(identified)</span>
            </li>
            <For each={props.person.aliases}>
              {(alias) => (
                <li class="truncate font-mono text-xs" title={alias}>
                  {alias}
                </li>
              )}
            </For>
          </ul>
        </section>
      </div>
      <Timeline projectId={props.projectId} distinctId={props.person.distinctId} timezone={props.timezone} />
    </>
  );
}

/** GDPR access and erasure: the person's data as NDJSON, and deleting the person (confirmed by typing the id). */
function PrivacyActions(props: { projectId: string; distinctId: string }) {
  const [open, setOpen] = createSignal(false);
  const [typed, setTyped] = createSignal("");
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const remove = useMutation(() => ({
    mutationFn: () => trpc.people.delete.mutate({ projectId: props.projectId, distinctId: props.distinctId }),
    onSuccess: async () => {
      setOpen(false);
      // Every figure of the project changed: nothing cached may show the person again.
      await queryClient.invalidateQueries();
      navigate(`/projects/${props.projectId}/people`);
    },
  }));
  const exportUrl = () =>
    `/api/v1/people/${encodeURIComponent(props.distinctId)}/export?${new URLSearchParams({ projectId: props.projectId })}`;
  return (
    <div class="mt-2 flex flex-wrap gap-2">
      <a class="btn-secondary" href={exportUrl()} download="">
        Export data
      </a>
      <button type="button" class="btn-danger" onClick={() => setOpen(true)}>
        Delete person
      </button>
      <ConfirmDialog
        open={open()}
        title="Delete this person?"
        confirmLabel="Delete person"
        danger
        pending={remove.isPending}
        confirmDisabled={typed() !== props.distinctId}
        error={remove.error}
        onConfirm={() => remove.mutate()}
        onClose={() => {
          remove.reset();
          setTyped("");
          setOpen(false);
        }}
      >
        <p>
          Every event of this person under all its ids, its sessions and traits are deleted at once, and every figure
          stops counting them. Events sent for these ids in the next 30 days are dropped. This cannot be undone.
        </p>
        <label class="mt-3 block">
          <span class="text-xs font-medium">Type {props.distinctId} to confirm</span>
          <input
            class="field-input mt-1 w-full font-mono"
            value={typed()}
            onInput={(event) => setTyped(event.currentTarget.value)}
            aria-label="The person's id, to confirm"
          />
        </label>
      </ConfirmDialog>
    </div>
  );
}

function Figure(props: { label: string; value: string }) {
  return (
    <div class="card p-3">
      <dt class="text-xs font-medium text-muted">{props.label}</dt>
      <dd class="mt-1 truncate text-lg font-semibold tabular">{props.value}</dd>
    </div>
  );
}

/** Consecutive events of one session, in the timeline's order. */
type SessionRun = { key: string; sessionId: string | null; events: PersonEvent[] };

function groupBySession(events: readonly PersonEvent[]): SessionRun[] {
  const runs: SessionRun[] = [];
  for (const event of events) {
    const last = runs.at(-1);
    if (last && last.sessionId === event.sessionId) last.events.push(event);
    else runs.push({ key: `${event.sessionId ?? ""}-${event.insertId}`, sessionId: event.sessionId, events: [event] });
  }
  return runs;
}

function Timeline(props: { projectId: string; distinctId: string; timezone: string }) {
  const events = useInfiniteQuery(() => personEventsQuery(props.projectId, props.distinctId));
  const runs = createMemo(() => groupBySession(events.data?.pages.flatMap((page) => page.items) ?? []));
  return (
    <section class="card p-4" aria-labelledby="timeline-title">
      <h2 id="timeline-title" class="mb-3 text-sm font-semibold">
        Timeline
      </h2>
      <QueryBoundary query={events} label="Loading events" skeletonClass="h-64">
        {() => (
          <Show when={runs().length > 0} fallback={<p class="text-sm text-muted">No events.</p>}>
            <ol class="flex flex-col gap-4">
              <For each={runs()}>
                {(run) => (
                  <li>
                    <h3 class="mb-1 truncate text-xs font-medium uppercase tracking-wide text-muted">
                      {run.sessionId ? `Session ${run.sessionId}` : "No session"}
                    </h3>
                    <ol class="divide-y divide-zinc-100 border-l-2 border-indigo-200 pl-3 text-sm dark:(divide-zinc-800 border-indigo-800)">
                      <For each={run.events}>
                        {(event) => (
                          <li class="flex flex-wrap items-baseline gap-x-3 gap-y-0.5 py-1.5">
                            <span class="font-medium">{event.name}</span>
                            <Show when={event.path}>
                              <span class="max-w-48 truncate text-muted" title={event.path ?? undefined}>
                                {event.path}
                              </span>
                            </Show>
                            <span class="text-xs text-muted">
                              {[event.browser, event.os, event.device].filter(Boolean).join(" · ")}
                            </span>
                            <Show when={event.distinctId !== props.distinctId}>
                              <span class="max-w-40 truncate font-mono text-xs text-muted" title={event.distinctId}>
                                as {event.distinctId}
                              </span>
                            </Show>
                            <time class="ml-auto text-xs text-muted tabular" datetime={event.timestamp}>
                              {formatDateTime(event.timestamp, props.timezone)}
                            </time>
                          </li>
                        )}
                      </For>
                    </ol>
                  </li>
                )}
              </For>
            </ol>
            <Show when={events.hasNextPage}>
              <button
                type="button"
                class="btn-secondary mt-4"
                disabled={events.isFetchingNextPage}
                onClick={() => void events.fetchNextPage()}
              >
                {events.isFetchingNextPage ? "Loading…" : "Load older events"}
              </button>
            </Show>
          </Show>
        )}
      </QueryBoundary>
    </section>
  );
}
