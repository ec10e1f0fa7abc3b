/**
 * The live feed's connection policy, kept free of Solid and the DOM so it can be tested with fake sockets and
 * timers:
 *   - every connection uses a fresh single-use ticket from auth.wsTicket (tickets live 30 s and are taken once);
 *   - after a drop it retries with exponential backoff from 1 s, doubling, capped at 30 s, at most 10 tries; then it
 *     stays offline until the person asks to reconnect;
 *   - a connection that stayed up for a while resets the count, so one drop a day never exhausts the tries, while a
 *     server that accepts and closes at once still backs off;
 *   - it keeps the 100 events with the latest `timestamp`, newest first: the server opens each connection with the
 *     50 latest stored events, and every event (backfilled or live) is inserted at its timestamp's place, once per
 *     insert id (a reconnect's backfill repeats events already shown). Messages come from the internet: anything that is not the
 *     documented shape is ignored, and nothing is ever treated as HTML;
 *   - a close that says access ended is final, never retried: 4401 (the login ended) sends the person to sign in,
 *     4403 (the project is gone or no longer theirs) to the projects list (`accessEndedBy`, `onAccessEnded`).
 */
import { LIVE_CLOSE_CODES, LIVE_MAX_EVENTS } from "../../../shared/live.ts";

export const LIVE_FEED_POLICY = {
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetries: 10,
  maxEvents: LIVE_MAX_EVENTS,
  /** A connection open at least this long counts as healthy: its drop starts the backoff afresh. */
  stableAfterMs: 10_000,
} as const;

/** The wait before retry number `attempt` (1-based): 1 s, 2 s, 4 s, ... capped at 30 s. */
export function reconnectDelay(
  attempt: number,
  policy: Pick<typeof LIVE_FEED_POLICY, "baseDelayMs" | "maxDelayMs"> = LIVE_FEED_POLICY,
): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 30));
}

/** Where the dashboard goes when the server closed the feed because access ended. */
export type AccessEnded = "sign-in" | "projects";

/** What a close code asks of the dashboard: null for an ordinary drop (retried with backoff). */
export function accessEndedBy(code: number): AccessEnded | null {
  if (code === LIVE_CLOSE_CODES.loginEnded) return "sign-in";
  if (code === LIVE_CLOSE_CODES.projectAccessEnded) return "projects";
  return null;
}

export type LiveEvent = {
  /** Unique within this page, for keyed rendering. */
  key: string;
  /** The server's dedupe key of the event (null from an older server). */
  insertId: string | null;
  event: string;
  distinctId: string | null;
  sessionId: string | null;
  pageUrl: string | null;
  timestamp: string;
  properties: Record<string, unknown>;
};

const optionalString = (value: unknown) => (typeof value === "string" ? value : null);

let sequence = 0;

/** Reads one WebSocket message; null when it is not `{ event, timestamp, ... }` JSON. */
export function parseLiveMessage(data: unknown): LiveEvent | null {
  if (typeof data !== "string") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    // Not JSON: the server never sends that, so it is noise (or a proxy's keep-alive); skip it.
    return null;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
  const message = parsed as Record<string, unknown>;
  if (typeof message.event !== "string") return null;
  const properties =
    message.properties && typeof message.properties === "object" && !Array.isArray(message.properties)
      ? (message.properties as Record<string, unknown>)
      : {};
  sequence += 1;
  return {
    key: `live-${sequence}`,
    insertId: optionalString(message.insertId),
    event: message.event,
    distinctId: optionalString(message.distinctId),
    sessionId: optionalString(message.sessionId),
    pageUrl: optionalString(message.pageUrl),
    timestamp: optionalString(message.timestamp) ?? new Date().toISOString(),
    properties,
  };
}

/**
 * `list` (newest `timestamp` first) with `event` inserted at its place, at most `max` long; the same list when the
 * event is already there (same insert id) or older than all of a full list.
 */
export function insertByTimestamp(list: readonly LiveEvent[], event: LiveEvent, max: number): readonly LiveEvent[] {
  if (event.insertId !== null && list.some((item) => item.insertId === event.insertId)) return list;
  const at = Date.parse(event.timestamp);
  // After the events with a later timestamp and before those with the same one: the last to arrive shows first.
  let index = list.length;
  while (index > 0 && !(Date.parse(list[index - 1]!.timestamp) > at)) index -= 1;
  if (index >= max) return list;
  const next = [...list.slice(0, index), event, ...list.slice(index)];
  return next.length > max ? next.slice(0, max) : next;
}

export type LiveStatus =
  | { state: "connecting"; attempt: number }
  | { state: "open" }
  | { state: "waiting"; attempt: number; retryInMs: number; reason: string }
  | { state: "offline"; reason: string }
  | { state: "stopped" };

/** The part of WebSocket the feed uses, so tests can pass a fake. */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type LiveFeedOptions = {
  /** Asks the server for a single-use ticket (auth.wsTicket). */
  getTicket: () => Promise<{ ticket: string }>;
  /** Opens a socket for a ticket. */
  openSocket: (ticket: string) => SocketLike;
  onEvents: (events: readonly LiveEvent[]) => void;
  onStatus: (status: LiveStatus) => void;
  /** Called with each event as it arrives (the dashboard refreshes its numbers from it). */
  onEvent?: (event: LiveEvent) => void;
  /** Called once when the server ended the feed because access ended; the feed has stopped. */
  onAccessEnded?: (where: AccessEnded) => void;
  schedule?: (callback: () => void, ms: number) => () => void;
  now?: () => number;
  policy?: Partial<typeof LIVE_FEED_POLICY>;
};

export type LiveFeed = {
  start(): void;
  stop(): void;
  /** Starts over after going offline (or skips the current wait). */
  reconnect(): void;
  clear(): void;
};

const defaultSchedule = (callback: () => void, ms: number) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

export function createLiveFeed(options: LiveFeedOptions): LiveFeed {
  const policy = { ...LIVE_FEED_POLICY, ...options.policy };
  const schedule = options.schedule ?? defaultSchedule;
  const now = options.now ?? Date.now;
  let events: readonly LiveEvent[] = [];
  let socket: SocketLike | null = null;
  let cancelTimer: (() => void) | null = null;
  let failures = 0;
  let openedAt: number | null = null;
  let running = false;
  // Each connect() gets a generation; callbacks of an older socket or ticket request are ignored.
  let generation = 0;

  const setStatus = (status: LiveStatus) => options.onStatus(status);

  function scheduleRetry(reason: string) {
    if (!running) return;
    if (openedAt !== null && now() - openedAt >= policy.stableAfterMs) failures = 0;
    openedAt = null;
    failures += 1;
    if (failures > policy.maxRetries) {
      setStatus({ state: "offline", reason });
      return;
    }
    const retryInMs = reconnectDelay(failures, policy);
    setStatus({ state: "waiting", attempt: failures, retryInMs, reason });
    cancelTimer = schedule(() => {
      cancelTimer = null;
      void connect();
    }, retryInMs);
  }

  async function connect() {
    const current = ++generation;
    setStatus({ state: "connecting", attempt: failures });
    let ticket: string;
    try {
      ticket = (await options.getTicket()).ticket;
    } catch (error) {
      if (current !== generation) return;
      scheduleRetry(error instanceof Error ? error.message : "Could not get a live-feed ticket.");
      return;
    }
    if (current !== generation || !running) return;
    let opened: SocketLike;
    try {
      opened = options.openSocket(ticket);
    } catch (error) {
      scheduleRetry(error instanceof Error ? error.message : "Could not open the live feed.");
      return;
    }
    socket = opened;
    opened.onopen = () => {
      if (current !== generation) return;
      openedAt = now();
      setStatus({ state: "open" });
    };
    opened.onmessage = (message) => {
      if (current !== generation) return;
      const event = parseLiveMessage(message.data);
      if (!event) return;
      const next = insertByTimestamp(events, event, policy.maxEvents);
      if (next === events) return;
      events = next;
      options.onEvents(events);
      options.onEvent?.(event);
    };
    // A failed connection fires error then close: close alone drives the retry.
    opened.onerror = () => {};
    opened.onclose = (event) => {
      if (current !== generation) return;
      socket = null;
      const ended = accessEndedBy(event.code);
      if (ended) {
        running = false;
        openedAt = null;
        setStatus({ state: "stopped" });
        options.onAccessEnded?.(ended);
        return;
      }
      scheduleRetry(
        event.reason || (openedAt === null ? "The live feed refused the connection." : "The live feed disconnected."),
      );
    };
  }

  function teardown() {
    generation += 1;
    cancelTimer?.();
    cancelTimer = null;
    const previous = socket;
    socket = null;
    openedAt = null;
    previous?.close(1000, "closed by the dashboard");
  }

  return {
    start() {
      if (running) return;
      running = true;
      failures = 0;
      void connect();
    },
    stop() {
      running = false;
      teardown();
      setStatus({ state: "stopped" });
    },
    reconnect() {
      teardown();
      running = true;
      failures = 0;
      void connect();
    },
    clear() {
      events = [];
      options.onEvents(events);
    },
  };
}
