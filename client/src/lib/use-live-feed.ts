/** The live feed of one project as Solid signals: a connection per project id, closed when the page goes away. */
import { type Accessor, createEffect, createSignal, on, onCleanup } from "solid-js";
import {
  type AccessEnded,
  createLiveFeed,
  type LiveEvent,
  type LiveFeed,
  type LiveStatus,
  type SocketLike,
} from "./live-feed.ts";
import { trpc } from "./trpc.ts";

export function liveFeedUrl(projectId: string, ticket: string, origin: Location = location): string {
  const scheme = origin.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${origin.host}/api/v1/ws/events/${encodeURIComponent(projectId)}?ticket=${encodeURIComponent(ticket)}`;
}

/** A browser WebSocket behind the small interface the feed's policy is written (and tested) against. */
function openBrowserSocket(url: string): SocketLike {
  const ws = new WebSocket(url);
  const socket: SocketLike = {
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
    close: (code, reason) => ws.close(code, reason),
  };
  ws.onopen = (event) => socket.onopen?.(event);
  ws.onmessage = (event) => socket.onmessage?.({ data: event.data });
  ws.onclose = (event) => socket.onclose?.({ code: event.code, reason: event.reason });
  ws.onerror = (event) => socket.onerror?.(event);
  return socket;
}

export type LiveFeedHandle = {
  events: Accessor<readonly LiveEvent[]>;
  status: Accessor<LiveStatus>;
  reconnect: () => void;
  clear: () => void;
};

/**
 * Connects while `enabled()` is true (the dashboard waits until the project loaded, so a wrong id never burns the
 * retries), reconnecting when the project changes. `onAccessEnded` is told when the server ended the feed because
 * the login or the project access ended.
 */
export function useLiveFeed(
  projectId: Accessor<string>,
  enabled: Accessor<boolean>,
  onEvent?: (event: LiveEvent) => void,
  onAccessEnded?: (where: AccessEnded) => void,
): LiveFeedHandle {
  const [events, setEvents] = createSignal<readonly LiveEvent[]>([]);
  const [status, setStatus] = createSignal<LiveStatus>({ state: "connecting", attempt: 0 });
  let feed: LiveFeed | undefined;
  createEffect(
    on([projectId, enabled], ([id, active]) => {
      setEvents([]);
      if (!active) return;
      const current = createLiveFeed({
        getTicket: () => trpc.auth.wsTicket.mutate({ projectId: id }),
        openSocket: (ticket) => openBrowserSocket(liveFeedUrl(id, ticket)),
        onEvents: (list) => setEvents(list),
        onStatus: setStatus,
        onEvent,
        onAccessEnded,
      });
      feed = current;
      current.start();
      onCleanup(() => current.stop());
    }),
  );
  return {
    events,
    status,
    reconnect: () => feed?.reconnect(),
    clear: () => feed?.clear(),
  };
}
