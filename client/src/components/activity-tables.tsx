/**
 * The sessions and users of the period, most recent (or most active) first, twenty per page. "Next" follows the
 * page's nextCursor (keyset paging: as fast on page 500 as on page 1); "Previous" pops the stack of cursors that led
 * here, so going back shows the same pages again.
 */
import { A } from "@solidjs/router";
import { useQuery } from "@tanstack/solid-query";
import { type Accessor, createEffect, createSignal, For, type JSX, on, onCleanup, onMount, Show } from "solid-js";
import type { AnalyticsRange } from "../lib/dashboard-state.ts";
import { formatDateTime, formatDuration, formatExact } from "../lib/format.ts";
import { personPath } from "../lib/person-path.ts";
import { sessionsQuery, TABLE_PAGE_SIZE, usersQuery } from "../lib/queries.ts";
import { Pager } from "./pager.tsx";
import { QueryBoundary } from "./query-boundary.tsx";
import { Tabs } from "./tabs.tsx";

export const th = "px-3 py-2 text-left text-xs font-medium uppercase tracking-wide text-muted whitespace-nowrap";
export const td = "px-3 py-2 whitespace-nowrap";

export function Table(props: { caption: string; head: JSX.Element; children: JSX.Element }) {
  let scroller: HTMLElement | undefined;
  // On a phone the wide tables (Sessions has 7 columns) scroll sideways: say so while some columns are out of view.
  const [hiddenColumns, setHiddenColumns] = createSignal(false);
  const measure = () => {
    if (scroller) setHiddenColumns(scroller.scrollLeft + scroller.clientWidth < scroller.scrollWidth - 1);
  };
  onMount(() => {
    measure();
    if (typeof ResizeObserver === "undefined" || !scroller) return;
    const observer = new ResizeObserver(measure);
    observer.observe(scroller);
    onCleanup(() => observer.disconnect());
  });
  return (
    <div>
      <Show when={hiddenColumns()}>
        <p class="mb-1 text-right text-xs text-muted" data-testid="table-scroll-hint">
          Scroll sideways for more columns <span aria-hidden="true">→</span>
        </p>
      </Show>
      {/* Focusable so keyboard users can scroll the wide table sideways on phones. */}
      <section
        ref={scroller}
        class="focus-ring -mx-4 overflow-x-auto rounded sm:mx-0"
        tabindex="0"
        aria-label={`${props.caption} table`}
        onScroll={measure}
      >
        <table class="min-w-full text-sm tabular">
          <caption class="sr-only">{props.caption}</caption>
          <thead class="border-b border-zinc-200 dark:border-zinc-800">{props.head}</thead>
          <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">{props.children}</tbody>
        </table>
      </section>
    </div>
  );
}

/** An id linking to its person's page, or the empty text when there is none. */
export function PersonLink(props: { projectId: string; distinctId: string | null; empty?: string }) {
  return (
    <Show when={props.distinctId} fallback={<Truncated text={null} empty={props.empty} />}>
      {(id) => (
        <A href={personPath(props.projectId, id())} class="link block max-w-48 truncate" title={id()}>
          {id()}
        </A>
      )}
    </Show>
  );
}

function Truncated(props: { text: string | null; empty?: string; class?: string }) {
  return (
    <span
      class={`block max-w-48 truncate ${props.text ? "" : "italic text-muted"} ${props.class ?? ""}`}
      title={props.text ?? undefined}
    >
      {props.text || props.empty || "–"}
    </span>
  );
}

/** The cursors of the pages walked so far (the first page has none); starts over when `resetOn` changes. */
export function createCursorPages(resetOn: Accessor<unknown>) {
  const [cursors, setCursors] = createSignal<Array<string | undefined>>([undefined]);
  createEffect(on(resetOn, () => setCursors([undefined]), { defer: true }));
  return {
    page: () => cursors().length - 1,
    cursor: () => cursors().at(-1),
    /** Moves to `page`: one forward with the shown page's nextCursor, or back to any earlier page. */
    go: (page: number, nextCursor: string | null) =>
      setCursors((list) =>
        page > list.length - 1 ? (nextCursor ? [...list, nextCursor] : list) : list.slice(0, page + 1),
      ),
  };
}

export function SessionsTable(props: { projectId: string; range: AnalyticsRange }) {
  const pages = createCursorPages(() => JSON.stringify(props.range));
  const query = useQuery(() => sessionsQuery(props.projectId, props.range, pages.cursor()));
  return (
    <QueryBoundary query={query} label="Loading sessions" skeletonClass="h-64">
      {(result) => (
        <Show
          when={result().total > 0}
          fallback={<p class="py-8 text-center text-sm text-muted">No sessions in this period.</p>}
        >
          <Table
            caption="Sessions"
            head={
              <tr>
                <th scope="col" class={th}>
                  Session
                </th>
                <th scope="col" class={th}>
                  User
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Events
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Duration
                </th>
                <th scope="col" class={th}>
                  Entry page
                </th>
                <th scope="col" class={th}>
                  Exit page
                </th>
                <th scope="col" class={th}>
                  Last seen
                </th>
              </tr>
            }
          >
            <For each={result().items}>
              {(session) => (
                <tr>
                  <td class={td}>
                    <Truncated text={session.sessionId} class="font-mono text-xs max-w-28" />
                  </td>
                  <td class={td}>
                    <PersonLink projectId={props.projectId} distinctId={session.distinctId} empty="Anonymous" />
                  </td>
                  <td class={`${td} text-right`}>{formatExact(session.eventCount)}</td>
                  <td class={`${td} text-right`}>{formatDuration(session.durationSeconds)}</td>
                  <td class={td}>
                    <Truncated text={session.entryPath} />
                  </td>
                  <td class={td}>
                    <Truncated text={session.exitPath} />
                  </td>
                  <td class={`${td} text-muted`}>{formatDateTime(session.lastSeen, props.range.timezone)}</td>
                </tr>
              )}
            </For>
          </Table>
          <Pager
            label="Sessions"
            page={pages.page()}
            pageSize={TABLE_PAGE_SIZE}
            count={result().items.length}
            total={result().total}
            hasNext={result().nextCursor !== null}
            busy={query.isFetching}
            onPage={(page) => pages.go(page, result().nextCursor)}
          />
        </Show>
      )}
    </QueryBoundary>
  );
}

export function UsersTable(props: { projectId: string; range: AnalyticsRange }) {
  const pages = createCursorPages(() => JSON.stringify(props.range));
  const query = useQuery(() => usersQuery(props.projectId, props.range, pages.cursor()));
  return (
    <QueryBoundary query={query} label="Loading users" skeletonClass="h-64">
      {(result) => (
        <Show
          when={result().total > 0}
          fallback={<p class="py-8 text-center text-sm text-muted">No identified users in this period.</p>}
        >
          <Table
            caption="Users"
            head={
              <tr>
                <th scope="col" class={th}>
                  User
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Events
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Sessions
                </th>
                <th scope="col" class={th}>
                  First seen
                </th>
                <th scope="col" class={th}>
                  Last seen
                </th>
              </tr>
            }
          >
            <For each={result().items}>
              {(user) => (
                <tr>
                  <td class={td}>
                    <PersonLink projectId={props.projectId} distinctId={user.distinctId} empty="Anonymous" />
                  </td>
                  <td class={`${td} text-right`}>{formatExact(user.eventCount)}</td>
                  <td class={`${td} text-right`}>{formatExact(user.sessionCount)}</td>
                  <td class={`${td} text-muted`}>{formatDateTime(user.firstSeen, props.range.timezone)}</td>
                  <td class={`${td} text-muted`}>{formatDateTime(user.lastSeen, props.range.timezone)}</td>
                </tr>
              )}
            </For>
          </Table>
          <Pager
            label="Users"
            page={pages.page()}
            pageSize={TABLE_PAGE_SIZE}
            count={result().items.length}
            total={result().total}
            hasNext={result().nextCursor !== null}
            busy={query.isFetching}
            onPage={(page) => pages.go(page, result().nextCursor)}
          />
        </Show>
      )}
    </QueryBoundary>
  );
}

const ACTIVITY_TABS = [
  { value: "sessions", label: "Sessions" },
  { value: "users", label: "Users" },
] as const;

export function ActivityCard(props: { projectId: string; range: AnalyticsRange }) {
  const [tab, setTab] = createSignal<"sessions" | "users">("sessions");
  return (
    <section class="card p-4" aria-label="Sessions and users">
      <Tabs label="Sessions and users" tabs={ACTIVITY_TABS} selected={tab()} onSelect={setTab}>
        <Show when={tab() === "sessions"} fallback={<UsersTable projectId={props.projectId} range={props.range} />}>
          <SessionsTable projectId={props.projectId} range={props.range} />
        </Show>
      </Tabs>
    </section>
  );
}
