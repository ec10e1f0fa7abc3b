/**
 * Test data for the analytics tests (not used by production code): a deterministic, realistic event set with the
 * shapes that break naive rollups (a session active in 24 different hours, sessions across UTC and +05:30 midnights,
 * a DST change, events without session or user), enriched by the ingest edge's own rules, and a writer that stores
 * them through the pipeline's own storeEvents.
 */
import type { Database } from "../db/client.ts";
import type { EventRow } from "../db/events-columns.ts";
import { parsePageUrl, parseReferrerHost, parseUserAgent } from "../http/ingest/enrich.ts";
import { storeEvents } from "../pipeline/store/store-events.ts";

export type TestEvent = EventRow;

const HOUR = 3_600_000;
const MINUTE = 60_000;

export const TEST_USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
  "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
];
const PATHS = ["/", "/pricing", "/docs", "/docs/api", "/blog/launch", "/signup", "/login", "/checkout"];
const REFERRERS = [null, null, "www.google.com", "news.ycombinator.com", "t.co", "duckduckgo.com"];
const EVENT_NAMES = ["page_view", "page_view", "page_view", "button_click", "form_submit", "signup", "purchase"];

/** A small deterministic PRNG (mulberry32) so every run builds the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Countries of the generated sessions; null stands for an address the database does not know. */
const TEST_COUNTRIES = ["US", "DE", "US", "FR", null, "JP", "US", "BR"] as const;

let insertCounter = 0;

/** One event with its enriched columns filled as ingest would. */
export function testEvent(
  projectId: string,
  fields: {
    eventName?: string;
    at: number;
    sessionId?: string | null;
    distinctId?: string | null;
    path?: string | null;
    referrerHost?: string | null;
    utmSource?: string | null;
    userAgent?: string;
    country?: string | null;
    properties?: Record<string, unknown>;
  },
): TestEvent {
  const userAgent = fields.userAgent ?? TEST_USER_AGENTS[0]!;
  insertCounter += 1;
  const utm = fields.utmSource ? `?utm_source=${fields.utmSource}&utm_medium=social&utm_campaign=spring` : "";
  const pageUrl = fields.path ? `https://shop.example.com${fields.path}${utm}` : null;
  const referrer = fields.referrerHost ? `https://${fields.referrerHost}/` : null;
  // The enriched columns come from ingest's own rules, so the tests see what production stores.
  const page = parsePageUrl(pageUrl);
  return {
    projectId,
    insertId: `t-${insertCounter}-${Bun.randomUUIDv7()}`,
    eventName: fields.eventName ?? "page_view",
    distinctId: fields.distinctId ?? null,
    sessionId: fields.sessionId ?? null,
    properties: fields.properties ?? {},
    pageUrl,
    path: page.path,
    host: page.host,
    referrer,
    referrerHost: parseReferrerHost(referrer),
    utmSource: page.utmSource,
    utmMedium: page.utmMedium,
    utmCampaign: page.utmCampaign,
    userAgent,
    ...parseUserAgent(userAgent),
    ipHash: null,
    country: fields.country ?? null,
    timestamp: new Date(fields.at),
    receivedAt: new Date(),
  };
}

/**
 * About 2,500 events over `days` days from `base` (UTC midnight): ~300 sessions of 1-15 events, 60 users, plus the
 * special cases listed in the header.
 */
export function generateTestEvents(projectId: string, base: number, days: number, seed = 7): TestEvent[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const rows: TestEvent[] = [];
  for (let s = 0; s < 300; s++) {
    const sessionId = `sess-${s}`;
    const user = random() < 0.8 ? `user-${Math.floor(random() * 60)}` : null;
    const userAgent = pick(TEST_USER_AGENTS);
    // By session number, not the seeded random: the other fields keep the values they always had.
    const country = TEST_COUNTRIES[s % TEST_COUNTRIES.length]!;
    const referrerHost = pick(REFERRERS);
    const utmSource = random() < 0.2 ? pick(["twitter", "newsletter"]) : null;
    let at = base + Math.floor(random() * days * 24 * 60) * MINUTE + Math.floor(random() * 59_000);
    const length = 1 + Math.floor(random() * 15);
    for (let i = 0; i < length; i++) {
      rows.push(
        testEvent(projectId, {
          eventName: i === 0 ? "page_view" : pick(EVENT_NAMES),
          at,
          sessionId,
          // A visitor may identify mid-session: the first events stay anonymous.
          distinctId: user && (i > 0 || random() < 0.5) ? user : null,
          path: pick(PATHS),
          referrerHost: i === 0 ? referrerHost : null,
          utmSource: i === 0 ? utmSource : null,
          userAgent,
          country,
          properties: { plan: random() < 0.3 ? "pro" : "free", amount: Math.floor(random() * 100) },
        }),
      );
      at += (1 + Math.floor(random() * 9)) * MINUTE + Math.floor(random() * 1000);
    }
  }
  // One session active in every hour of day 2 and once on day 3: one unique session, never 24 or 25.
  for (let h = 0; h < 24; h++) {
    rows.push(
      testEvent(projectId, {
        at: base + 2 * 24 * HOUR + h * HOUR + 17 * MINUTE,
        sessionId: "sess-long",
        distinctId: "user-long",
        path: "/docs",
      }),
    );
  }
  rows.push(
    testEvent(projectId, {
      at: base + 3 * 24 * HOUR + 2 * HOUR,
      sessionId: "sess-long",
      distinctId: "user-long",
      path: "/pricing",
    }),
  );
  // Sessions across UTC midnight and across Kolkata midnight (18:30 UTC).
  for (const [id, start] of [
    ["sess-utc-midnight", base + 4 * 24 * HOUR - 10 * MINUTE],
    ["sess-ist-midnight", base + 4 * 24 * HOUR + 18 * HOUR + 20 * MINUTE],
  ] as const) {
    for (let i = 0; i < 4; i++) {
      rows.push(
        testEvent(projectId, { at: start + i * 7 * MINUTE, sessionId: id, distinctId: "user-night", path: PATHS[i] }),
      );
    }
  }
  // Server-side events: no session, sometimes no user either.
  for (let i = 0; i < 40; i++) {
    rows.push(
      testEvent(projectId, {
        eventName: "invoice_paid",
        at: base + Math.floor(random() * days * 24 * 60) * MINUTE,
        distinctId: i % 2 ? `user-${i}` : null,
        userAgent: "curl/8.5.0",
      }),
    );
  }
  return rows;
}

/** Stores events through the pipeline's own storeEvents, in batches of `batchSize`; returns how many were new. */
export async function storeTestEvents(db: Database, rows: readonly TestEvent[], batchSize = 100): Promise<number> {
  let added = 0;
  for (let i = 0; i < rows.length; i += batchSize)
    added += (await storeEvents(db, rows.slice(i, i + batchSize))).length;
  return added;
}

/** The same rows in a shuffled order (so sessions are split across batches and arrive out of order). */
export function shuffled<T>(rows: readonly T[], seed = 11): T[] {
  const random = seededRandom(seed);
  const copy = rows.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
