/**
 * The events every phase sends or stores, so ceilings and product are measured on the same bytes: realistic
 * browser events (the seed's mix of names, a dozen pages, search/social/direct referrers, UTM tags, identified and
 * anonymous users). HTTP bodies carry no `insert_id`, so the server makes one per event and every accepted event
 * becomes one row (a fixed body replayed by wrk would otherwise be deduplicated to one row per id).
 */
import { createHmac } from "node:crypto";

export const USER_AGENT =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const EVENT_MIX: Array<[string, number]> = [
  ["page_view", 60],
  ["button_click", 15],
  ["form_submit", 8],
  ["signup", 5],
  ["login", 5],
  ["logout", 4],
  ["purchase", 3],
];
const PATHS = [
  "/",
  "/pricing",
  "/features",
  "/docs",
  "/docs/install",
  "/blog",
  "/blog/launch",
  "/about",
  "/contact",
  "/signup",
  "/login",
  "/dashboard",
];
const REFERRERS = [
  "",
  "",
  "https://www.google.com/",
  "https://duckduckgo.com/",
  "https://t.co/abc",
  "https://news.ycombinator.com/",
  "https://www.reddit.com/r/selfhosted/",
];
const UTM = [
  "",
  "",
  "",
  "?utm_source=newsletter&utm_medium=email&utm_campaign=launch",
  "?utm_source=twitter&utm_medium=social",
];

/** A deterministic generator so every run sends the same events. */
export function createRandom(seed = 42): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function pickWeighted(random: () => number): string {
  let roll = random() * 100;
  for (const [name, weight] of EVENT_MIX) {
    roll -= weight;
    if (roll < 0) return name;
  }
  return "page_view";
}

/** One event as a client (the SDK) sends it. */
export interface ClientEvent {
  event: string;
  properties: Record<string, string | number | boolean>;
  distinct_id: string;
  session_id: string;
  page_url: string;
  referrer?: string;
  timestamp: string;
}

/** `count` client events stamped one millisecond apart, the last at `now`. */
export function makeClientEvents(count: number, random = createRandom(), now = Date.now()): ClientEvent[] {
  const events: ClientEvent[] = [];
  for (let i = 0; i < count; i++) {
    const path = pick(random, PATHS);
    const user = Math.floor(random() * 5000);
    const event = pickWeighted(random);
    const properties: ClientEvent["properties"] = {
      plan: pick(random, ["free", "pro", "team"]),
      screen_width: pick(random, [390, 1280, 1440, 1920]),
    };
    if (event === "button_click") properties.button = pick(random, ["cta", "buy", "menu", "share"]);
    if (event === "purchase") properties.amount = Math.round(random() * 20000) / 100;
    const referrer = pick(random, REFERRERS);
    events.push({
      event,
      properties,
      distinct_id:
        random() < 0.3 ? `user_${user}` : `anon_${user.toString(36)}${Math.floor(random() * 1e6).toString(36)}`,
      session_id: `sess_${Math.floor(random() * 1e9).toString(36)}`,
      page_url: `https://www.example.com${path}${pick(random, UTM)}`,
      ...(referrer ? { referrer } : {}),
      timestamp: new Date(now - (count - 1 - i)).toISOString(),
    });
  }
  return events;
}

/** The ingest body for a batch of events. */
export function ingestBody(events: readonly ClientEvent[]): string {
  return JSON.stringify({ events });
}

/** A row as the worker stores it in `events`, in column order (see server/db/schema/events.ts). */
export const EVENT_COLUMNS = [
  "project_id",
  "insert_id",
  "event_name",
  "distinct_id",
  "session_id",
  "properties",
  "page_url",
  "path",
  "host",
  "referrer",
  "referrer_host",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "user_agent",
  "browser",
  "os",
  "device",
  "ip_hash",
  "timestamp",
  "received_at",
] as const;

export type EventRow = Array<string | null>;

/** Enriches client events the way the ingest edge does (parsed URL parts, user agent, hashed IP). */
export function toRows(projectId: string, events: readonly ClientEvent[]): EventRow[] {
  const ipHash = createHmac("sha256", "bench-key").update("127.0.0.1").digest("hex");
  const receivedAt = new Date().toISOString();
  return events.map((e) => {
    const url = new URL(e.page_url);
    const referrerHost = e.referrer ? new URL(e.referrer).host : null;
    return [
      projectId,
      Bun.randomUUIDv7(),
      e.event,
      e.distinct_id,
      e.session_id,
      JSON.stringify(e.properties),
      e.page_url,
      url.pathname,
      url.host,
      e.referrer ?? null,
      referrerHost,
      url.searchParams.get("utm_source"),
      url.searchParams.get("utm_medium"),
      url.searchParams.get("utm_campaign"),
      USER_AGENT,
      "Chrome",
      "macOS",
      "desktop",
      ipHash,
      e.timestamp,
      receivedAt,
    ];
  });
}

/** PostgreSQL COPY text format for rows (tab-separated, \N for null, backslash escapes). */
export function toCopyText(rows: readonly EventRow[]): string {
  const escapeCopy = (value: string | null) =>
    value === null
      ? "\\N"
      : value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
  let out = "";
  for (const row of rows) out += `${row.map(escapeCopy).join("\t")}\n`;
  return out;
}
