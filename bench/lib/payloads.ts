/**
 * The events every phase sends or stores, so ceilings and product are measured on the same bytes: realistic
 * browser events (the seed's mix of names, a dozen pages, search/social/direct referrers, UTM tags, identified and
 * anonymous users). HTTP bodies carry no `insert_id`, so the server makes one per event and every accepted event
 * becomes one row (a fixed body replayed by wrk would otherwise be deduplicated to one row per id).
 */
import { createHmac } from "node:crypto";
import type { EventRow } from "../../server/db/events-columns.ts";
import { parsePageUrl, parseReferrerHost, parseUserAgent } from "../../server/http/ingest/enrich.ts";

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

/**
 * Enriches client events the way the ingest edge does, with its own rules (URL parts, referrer host, parsed user
 * agent), into `events` rows; the column order and the COPY encoding are the store's (server/db/events-columns.ts).
 */
export function toRows(projectId: string, events: readonly ClientEvent[]): EventRow[] {
  const ipHash = createHmac("sha256", "bench-key").update("127.0.0.1").digest("hex");
  const receivedAt = new Date();
  const agent = parseUserAgent(USER_AGENT);
  return events.map((e) => {
    const page = parsePageUrl(e.page_url);
    return {
      projectId,
      insertId: Bun.randomUUIDv7(),
      eventName: e.event,
      distinctId: e.distinct_id,
      sessionId: e.session_id,
      properties: e.properties,
      pageUrl: e.page_url,
      path: page.path,
      host: page.host,
      referrer: e.referrer ?? null,
      referrerHost: parseReferrerHost(e.referrer ?? null),
      utmSource: page.utmSource,
      utmMedium: page.utmMedium,
      utmCampaign: page.utmCampaign,
      userAgent: USER_AGENT,
      browser: agent.browser,
      os: agent.os,
      device: agent.device,
      ipHash,
      country: null,
      timestamp: new Date(e.timestamp),
      receivedAt,
    };
  });
}
