/**
 * The tracker: one closure, no classes, short locals, because the minified snippet must stay under 2 KiB gzipped.
 *
 * Invariants:
 * - An event is built once (insert_id, timestamp, session) and the same object is sent on every attempt, so the
 *   server's (project_id, insert_id) dedupe makes delivery exactly once.
 * - An event leaves the queue only when the server answered for it (2xx, or a 4xx that retrying cannot fix), when
 *   its batch used up MAX_ATTEMPTS, or when a beacon was accepted by the browser on page exit.
 * - Public methods never throw into the host page: each is wrapped, and storage may be missing or full.
 * - The console stays quiet, with one exception: the first time the server refuses our events outright (401 unknown
 *   key, 403 a site outside the project's domain) it says so once, with the server's reason, since otherwise a
 *   misconfigured snippet loses every event unseen. Those batches are dropped like any other 4xx, never retried.
 * - State lives in sessionStorage (per tab, survives reloads); only the opt-out/consent choice is in localStorage.
 *   No cookies, no fingerprinting.
 * - Anonymous visitors carry no distinct_id by default: the server counts them under a daily visitor id (the README's
 *   privacy section). With `persist: "local"` (sites with consent) a random anonymous id is kept in localStorage
 *   and sent instead, written only once tracking is allowed. An identified id (identify) is the tab's, in its state.
 * - identify sends `$identify` naming the anonymous id it replaces (`$anon_distinct_id`) when the SDK knows one, so
 *   the server links both into one person; in the default mode the server names the request's own visitor id.
 */
import type { IngestBody, IngestEvent } from "../../shared/ingest.ts";
import { backoffDelay, isRetryable, MAX_ATTEMPTS } from "./backoff.ts";
import { chunk, enqueue, MAX_BATCH, MAX_BATCH_BYTES, MAX_QUEUE } from "./queue.ts";
import type { Properties, Tracker, TrackerOptions } from "./types.ts";
import { uuidv7 } from "./uuid.ts";

/** The tab's state, persisted as one sessionStorage entry. */
interface State {
  /** identified distinct id ("" while anonymous) */
  d: string;
  /** session id */
  s: string;
  /** time of the last event (ms), for the 30-minute inactivity rotation */
  t: number;
  /** unsent events */
  q: IngestEvent[];
  /** registered properties */
  r: Properties;
}

/** Distinctive names, since the host page shares both storages with us. */
const STATE_KEY = "_tracker";
/** localStorage: "1" opted in (consent), "0" opted out, absent = default for the options. */
const CHOICE_KEY = "_tracker_ok";
/** localStorage, with persist "local" only: the anonymous id. */
const ANON_KEY = "_tracker_id";
const SESSION_IDLE_MS = 18e5;
const BATCH_SIZE = 10;
const FLUSH_MS = 2e3;

type Fn = (...args: never[]) => unknown;

/** The host page must never see an SDK exception, so a wrapped call that fails is simply abandoned. */
const safe =
  <F extends Fn>(f: F) =>
  (...args: Parameters<F>): ReturnType<F> | undefined => {
    try {
      return f(...args) as ReturnType<F>;
    } catch {
      // Deliberately not rethrown or logged: an analytics failure must not break or pollute the host page.
      return undefined;
    }
  };

/** Storage that may be disabled (sandboxed iframes, privacy modes), full, or corrupt reads as absent. */
const store = (local?: 1): Storage | undefined => safe(() => (local ? localStorage : sessionStorage))();
const read = (key: string, local?: 1): string | null | undefined => safe(() => store(local)!.getItem(key))();
const write = (key: string, value: string, local?: 1): void => {
  safe(() => store(local)!.setItem(key, value))();
};

export const createTracker = (o: TrackerOptions): Tracker => {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const loc = location;
  const url = o.apiUrl.replace(/\/+$/, "") + "/api/v1/events/ingest";
  let S = safe(() => JSON.parse(read(STATE_KEY)!) as State)()!;
  // Anything but our own state shape (absent, corrupt, written by someone else) starts a fresh tab state.
  if (!S || !S.q || !S.r) S = { d: "", s: "", t: 0, q: [], r: {} };
  let timer: ReturnType<typeof setTimeout> | 0 = 0;
  let busy: 0 | 1 = 0;
  let attempt = 0;
  let warned: 0 | 1 = 0;
  let lastPath: string | undefined;
  const local = o.persist == "local";
  // The anonymous id of persist "local", read (or made and written) on first use once tracking is allowed.
  let anon = "";
  const anonId = (): string => {
    if (local && !anon) {
      anon = read(ANON_KEY, 1) || uuidv7(Date.now());
      write(ANON_KEY, anon, 1);
    }
    return anon;
  };
  // The next anonId() makes and stores a new id: a new anonymous visitor.
  const forget = () => {
    anon = "";
    if (local) write(ANON_KEY, "", 1);
  };

  const save = () => write(STATE_KEY, JSON.stringify(S));

  const on = (): boolean | undefined => {
    const choice = read(CHOICE_KEY, 1);
    return (
      !!o.project &&
      (choice
        ? choice == "1"
        : !(o.requireConsent || (o.respectDnt && (nav.doNotTrack == "1" || nav.globalPrivacyControl))))
    );
  };

  const body = (events: IngestEvent[]) =>
    JSON.stringify({ api_key: o.project, sent_at: new Date().toISOString(), events } satisfies IngestBody);

  const batches = () => chunk(S.q, MAX_BATCH, MAX_BATCH_BYTES, (e) => new Blob([JSON.stringify(e)]).size);

  const drop = (sent: IngestEvent[]) => {
    S.q = S.q.filter((e) => sent.indexOf(e) < 0);
    save();
  };

  // A full batch goes now; anything less waits up to FLUSH_MS for company. During a backoff the retry timer rules.
  const schedule = () => {
    // biome-ignore lint/nursery/noFloatingPromises: send() settles every failure itself (it never rejects), and `void` costs gzipped bytes here.
    if (S.q.length >= BATCH_SIZE && !attempt) send();
    else if (S.q.length) timer = timer || setTimeout(send, FLUSH_MS);
  };

  const send = async (): Promise<void> => {
    clearTimeout(timer);
    timer = 0;
    const batch = batches()[0];
    if (busy || !batch || !on()) return;
    busy = 1;
    let res: Response | undefined;
    try {
      res = await fetch(url, { method: "POST", body: body(batch) });
    } catch {
      // A network error: `res` stays undefined, which isRetryable treats as worth another attempt.
    }
    busy = 0;
    const status = res && res.status;
    if ((status == 401 || status == 403) && !warned) {
      warned = 1;
      res!
        .json()
        .then((b: { error: { message: string } }) => b.error.message)
        .catch(() => "")
        .then((m) => console.warn("tracker: the server refused the events (" + status + ") " + m));
    }
    if (isRetryable(status) && ++attempt < MAX_ATTEMPTS) {
      timer = setTimeout(send, backoffDelay(attempt, res && res.headers.get("retry-after"), Math.random(), Date.now()));
    } else {
      attempt = 0;
      drop(batch);
      schedule();
    }
  };

  const track = (event: string, properties?: Properties) => {
    if (!on()) return;
    const now = Date.now();
    if (now - S.t > SESSION_IDLE_MS) S.s = uuidv7(now);
    S.t = now;
    S.q = enqueue(
      S.q,
      {
        event,
        // A JSON round trip snapshots the properties now and fails here (not at send time) on cycles or BigInts.
        properties: JSON.parse(JSON.stringify(Object.assign({}, S.r, properties))) as Properties,
        // Absent (not null) when anonymous without persist "local": JSON.stringify leaves undefined out.
        distinct_id: S.d || anonId() || undefined,
        session_id: S.s,
        // The server refuses URLs over 4,096 characters, and with them the whole event: cut them instead.
        page_url: loc.href.slice(0, 4096),
        referrer: document.referrer.slice(0, 4096) || null,
        timestamp: new Date(now).toISOString(),
        insert_id: uuidv7(now),
      },
      MAX_QUEUE,
    );
    save();
    schedule();
  };

  const pageView = safe(() => {
    const path = loc.pathname + (o.hashRouting ? loc.hash : "");
    if (path != lastPath && on()) {
      lastPath = path;
      track("page_view", { path });
    }
  });

  // Leaving (or hiding) the page: hand everything unsent to the browser, which delivers beacons after unload.
  const leave = safe(() => {
    if (!on()) return;
    batches().forEach((batch) => {
      const data = body(batch);
      // While the server is failing (attempt > 0) a beacon may be lost unseen: keep the events for a later resend.
      if (nav.sendBeacon && nav.sendBeacon(url, data)) attempt || drop(batch);
      else
        fetch(url, { method: "POST", body: data, keepalive: true }).then(
          (res) => isRetryable(res.status) || drop(batch),
          // Still queued and persisted: the next flush or the next page load in this tab sends it again.
          () => 0,
        );
    });
  });

  const hist = history as History & Record<string, unknown>;
  ["pushState", "replaceState"].forEach((name) => {
    const original = hist[name] as (...args: unknown[]) => unknown;
    hist[name] = function (this: History, ...args: unknown[]) {
      const result = original.apply(this, args);
      pageView();
      return result;
    };
  });
  addEventListener("popstate", pageView);
  if (o.hashRouting) addEventListener("hashchange", pageView);
  addEventListener("pagehide", leave);
  document.addEventListener("visibilitychange", () => document.visibilityState == "hidden" && leave());

  schedule();
  pageView();

  return {
    event: safe(track),
    identify: safe((distinctId: string, properties?: Properties) => {
      // Before consent nothing is written to localStorage, and nothing anonymous was recorded to link.
      const previous = on() && anonId();
      S.d = "" + distinctId;
      save();
      track("$identify", previous ? Object.assign({ $anon_distinct_id: previous }, properties) : properties);
    }),
    reset: safe(() => {
      S = { d: "", s: "", t: 0, q: S.q, r: {} };
      save();
      forget();
    }),
    flush: () => send(),
    optOut: safe(() => {
      write(CHOICE_KEY, "0", 1);
      forget();
      S.q = [];
      save();
    }),
    optIn: safe(() => {
      write(CHOICE_KEY, "1", 1);
      pageView();
    }),
    register: safe((properties: Properties) => {
      Object.assign(S.r, properties);
      save();
    }),
  } as Tracker;
};
