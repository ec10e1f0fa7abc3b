/** The newest events as they are stored, with the connection's state and a manual reconnect once it gave up. */
import { For, Match, Show, Switch } from "solid-js";
import { formatClockTime } from "../lib/format.ts";
import { LIVE_FEED_POLICY } from "../lib/live-feed.ts";
import type { LiveFeedHandle } from "../lib/use-live-feed.ts";

function pathOf(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    // Not an absolute URL (an app may send a bare path): show it as sent.
    return url;
  }
}

export function LiveFeedPanel(props: { feed: LiveFeedHandle; timezone: string; class?: string }) {
  const status = () => props.feed.status();
  const waiting = () => {
    const current = status();
    return current.state === "waiting" ? current : null;
  };
  return (
    <section class={`card flex min-h-0 flex-col p-4 ${props.class ?? ""}`} aria-labelledby="live-feed-title">
      <div class="flex items-center justify-between gap-2">
        <h2 id="live-feed-title" class="text-sm font-semibold">
          Live events
        </h2>
        <div class="flex items-center gap-2 text-xs" role="status" aria-live="polite">
          <Switch>
            <Match when={status().state === "open"}>
              <span class="relative flex h-2 w-2">
                <span class="absolute inline-flex h-full w-full animate-ping rounded-full bg-emerald-400 opacity-60" />
                <span class="relative inline-flex h-2 w-2 rounded-full bg-emerald-500" />
              </span>
              <span class="text-emerald-700 dark:text-emerald-400">Live</span>
            </Match>
            <Match when={status().state === "connecting"}>
              <span class="h-2 w-2 rounded-full bg-amber-400" />
              <span class="text-muted">Connecting…</span>
            </Match>
            <Match when={waiting()}>
              {(w) => (
                <>
                  <span class="h-2 w-2 rounded-full bg-amber-400" />
                  <span class="text-muted">
                    Reconnecting in {Math.round(w().retryInMs / 1000)} s (try {w().attempt} of{" "}
                    {LIVE_FEED_POLICY.maxRetries})
                  </span>
                </>
              )}
            </Match>
            <Match when={status().state === "offline"}>
              <span class="h-2 w-2 rounded-full bg-zinc-400" />
              <span class="text-muted">Offline</span>
              <button type="button" class="btn-secondary px-2 py-0.5 text-xs" onClick={() => props.feed.reconnect()}>
                Reconnect
              </button>
            </Match>
          </Switch>
        </div>
      </div>
      <Show when={status().state === "offline"}>
        <p class="mt-2 text-xs text-muted">
          The live feed stopped after {LIVE_FEED_POLICY.maxRetries} tries. Numbers above still update when you reload;
          reconnect when the network is back.
        </p>
      </Show>
      <Show
        when={props.feed.events().length > 0}
        fallback={
          <p class="my-auto py-10 text-center text-sm text-muted">
            Waiting for events… New events appear here as they arrive.
          </p>
        }
      >
        <ol
          class="focus-ring mt-3 flex max-h-96 flex-col divide-y divide-zinc-100 overflow-y-auto rounded dark:divide-zinc-800"
          aria-label="Latest events, newest first"
          tabindex="0"
          data-testid="live-feed"
        >
          <For each={props.feed.events()}>
            {(event) => (
              <li class="flex items-baseline gap-3 py-1.5 text-sm">
                <time class="shrink-0 font-mono text-xs text-muted tabular" datetime={event.timestamp}>
                  {formatClockTime(event.timestamp, props.timezone)}
                </time>
                <div class="min-w-0 flex-1">
                  <p class="truncate font-medium" title={event.event}>
                    {event.event}
                  </p>
                  <p class="truncate text-xs text-muted" title={event.pageUrl ?? undefined}>
                    {pathOf(event.pageUrl) ?? (event.distinctId ? `user ${event.distinctId}` : "no page")}
                  </p>
                </div>
              </li>
            )}
          </For>
        </ol>
        <p class="mt-2 text-right text-xs text-muted">
          Showing the last {props.feed.events().length} of at most {LIVE_FEED_POLICY.maxEvents}
        </p>
      </Show>
    </section>
  );
}
