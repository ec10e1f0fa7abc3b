/**
 * Realistic demo traffic for the seed command, generated as a stream in time order so ten million events never sit
 * in memory at once. Outside journeys and identifies (see generateSeedEvents) the mix follows the issue: page views
 * 60 %, button clicks 15 %, form submits 8 %, signups 5 %, logins 5 %, purchases 3 %, logouts 4 %; a dozen head pages and a long tail of TAIL_PATHS documentation pages
 * (`/docs/page-<n>`, a fifth of page views, the low numbers busier); referrers from search, social and direct;
 * several browsers and devices; sessions of several events; returning visitors, some identified.
 *
 * For the filtered benchmark the data is also high-cardinality: every purchase carries a unique `order_id`
 * (`ord_<n>`, about 0.026 per event: ~26,000 at 1 M events, ~257,000 at 10 M), and every event of an identified
 * visitor carries the visitor's `plan` (free 60 %, pro 30 %, team 10 %; a signup's plan is its own).
 */

export interface SeedEvent {
  event: string;
  distinctId: string;
  sessionId: string;
  pageUrl: string;
  path: string;
  referrer: string | null;
  referrerHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  userAgent: string;
  properties: Record<string, string | number | boolean>;
  timestamp: number;
  visitor: number;
}

const SITE = "https://shop.example.com";
const PAGES = [
  "/",
  "/pricing",
  "/features",
  "/docs",
  "/docs/getting-started",
  "/docs/api",
  "/blog",
  "/blog/launch-week",
  "/about",
  "/contact",
  "/signup",
  "/checkout",
];
// Weighted so the home page and pricing lead, like real sites.
const PAGE_WEIGHTS = [30, 14, 9, 10, 6, 5, 7, 4, 3, 2, 5, 5];
/** Distinct long-tail paths, `/docs/page-0` ... `/docs/page-9999`. */
export const TAIL_PATHS = 10_000;
/** Share of page picks that go to the long tail. */
const TAIL_SHARE = 0.2;
const PLANS = ["free", "free", "free", "free", "free", "free", "pro", "pro", "pro", "team"] as const;
const EVENT_MIX: Array<[string, number]> = [
  ["page_view", 60],
  ["button_click", 15],
  ["form_submit", 8],
  ["signup", 5],
  ["login", 5],
  ["purchase", 3],
  ["logout", 4],
];
const REFERRERS: Array<[string | null, number]> = [
  [null, 40],
  ["https://www.google.com/", 25],
  ["https://www.bing.com/", 4],
  ["https://duckduckgo.com/", 4],
  ["https://t.co/abc123", 6],
  ["https://www.facebook.com/", 5],
  ["https://www.linkedin.com/feed/", 4],
  ["https://www.reddit.com/r/webdev/", 5],
  ["https://news.ycombinator.com/", 7],
];
const CAMPAIGNS: Array<[string, string, string]> = [
  ["newsletter", "email", "spring_sale"],
  ["twitter", "social", "launch_week"],
  ["google", "cpc", "brand"],
];
export const SEED_USER_AGENTS: Array<[string, number]> = [
  [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    34,
  ],
  [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    12,
  ],
  [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    10,
  ],
  [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    16,
  ],
  [
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    12,
  ],
  ["Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", 5],
  [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    7,
  ],
  [
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    4,
  ],
];

/** mulberry32: fast, seedable, good enough for demo data. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function weighted<T>(items: ReadonlyArray<readonly [T, number]>, random: () => number): T {
  const total = items.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [item, weight] of items) {
    roll -= weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1]![0];
}

export interface GenerateOptions {
  count: number;
  days: number;
  /** The end of the generated period (ms); events fall in [end - days, end). */
  end: number;
  seed?: number;
}

/** One event of a session before it is placed in time: what happened, where, and after how long. */
interface SessionStep {
  event: string;
  path: string;
  /** Milliseconds since the session's previous event. */
  gap: number;
  properties?: Record<string, string | number | boolean>;
  /** The id the event is sent under when it is not the session's (an identify names the person). */
  distinctId?: string;
}

/** The signup journey, for funnels: home -> pricing -> signup page -> signup, each step a share of the previous. */
const SIGNUP_JOURNEY = [
  { event: "page_view", path: "/", keep: 1 },
  { event: "page_view", path: "/pricing", keep: 0.7 },
  { event: "page_view", path: "/signup", keep: 0.55 },
  { event: "signup", path: "/signup", keep: 0.65 },
] as const;
/** The checkout journey of signed-up people: pricing -> checkout page -> the checkout form -> purchase. */
const CHECKOUT_JOURNEY = [
  { event: "page_view", path: "/pricing", keep: 1 },
  { event: "page_view", path: "/checkout", keep: 0.5 },
  { event: "form_submit", path: "/checkout", keep: 0.7 },
  { event: "purchase", path: "/checkout", keep: 0.75 },
] as const;
/** Share of first sessions of people who will identify that follow the signup journey (the rest just log in). */
const SIGNUP_JOURNEY_SHARE = 0.6;
/** Share of anonymous visitors' sessions that start the signup journey (they never finish it: signups identify). */
const ANONYMOUS_JOURNEY_SHARE = 0.1;
/** Share of identified people's sessions that follow the checkout journey. */
const CHECKOUT_JOURNEY_SHARE = 0.25;

/**
 * People with a long history across devices, for the person pages' speed target: POWER_PEOPLE people of about
 * POWER_PERSON_EVENTS events each, under five ids: `power_<k>` and four devices `power_<k>_device_<d>`, each device
 * linked by an identify at the end of its first session (the device's own events stay under the device id).
 */
export const POWER_PEOPLE = 3;
export const POWER_PERSON_EVENTS = 10_000;
const POWER_DEVICES = 4;

/**
 * Yields `count` events in sessions that start in time order across the period (busier in the afternoon UTC).
 * Sessions hold 1-13 events a few seconds to minutes apart; visitors return (a third of sessions come from a small
 * set of regulars) and about 30 % of visitors are identified users: their first session is anonymous
 * (`anon_<n>`) and holds an `identify` (`user_<n>`, `$anon_distinct_id: anon_<n>`) after which everything is under
 * `user_<n>`, so the alias links are exercised. Journeys make funnels deep: most first sessions of people who sign
 * up follow SIGNUP_JOURNEY, some anonymous sessions start it and drop out, and identified sessions follow
 * CHECKOUT_JOURNEY with drop-off at every step; the rest of a session is the event mix above. POWER_PEOPLE people
 * hold about POWER_PERSON_EVENTS events each under five aliases (at most 1 % of the events on small seeds).
 */
export function* generateSeedEvents(options: GenerateOptions): Generator<SeedEvent> {
  const random = createRandom(options.seed ?? 42);
  const span = options.days * 86_400_000;
  const start = options.end - span;
  const averagePerSession = 7;
  const sessions = Math.max(1, Math.ceil(options.count / averagePerSession));
  const visitors = Math.max(1, Math.ceil(sessions / 3));
  const identifiedYet = new Uint8Array(visitors);
  const powerShare = Math.min(0.01, (POWER_PEOPLE * POWER_PERSON_EVENTS) / options.count);
  const powerSessions = new Uint32Array(POWER_PEOPLE);
  const pages = PAGES.map((page, i) => [page, PAGE_WEIGHTS[i]!] as const);
  // A tail page's number is TAIL_PATHS * u^2: low numbers busier, and even the rarest (near the end) gets about one
  // in 2 * TAIL_PATHS of the tail's picks, so every tail path appears from about 1 M events on.
  const pickPath = () =>
    random() < TAIL_SHARE ? `/docs/page-${Math.floor(TAIL_PATHS * random() ** 2)}` : weighted(pages, random);
  const pageGap = () => 2_000 + Math.floor(random() * 90_000);
  /** The journey's steps up to where this visitor drops out (`finish: false` drops before the last at the latest). */
  const journey = (steps: ReadonlyArray<{ event: string; path: string; keep: number }>, finish: boolean) => {
    const taken: SessionStep[] = [];
    for (const [i, step] of steps.entries()) {
      if (i > 0 && random() >= step.keep) break;
      if (!finish && i === steps.length - 1) break;
      taken.push({ event: step.event, path: step.path, gap: i === 0 ? 0 : 5_000 + Math.floor(random() * 120_000) });
    }
    return taken;
  };
  let emitted = 0;
  let orders = 0;
  for (let s = 0; emitted < options.count; s++) {
    // Session starts in order, evenly spread with a daily wave: within each day the time is bent by a monotonic map
    // of [0, 1) onto itself (busier in the afternoon UTC). Starts stop an hour before the end so no session runs past
    // it, and none pile up at either edge.
    // Placed by the share of events already emitted, so starts never run past the period however sessions vary.
    const day = (emitted / options.count) * options.days;
    const dayIndex = Math.floor(day);
    const dayPart = day - dayIndex;
    const bent = dayPart - (0.1 / (2 * Math.PI)) * Math.sin(2 * Math.PI * dayPart);
    let at = start + Math.floor(((dayIndex + bent) / options.days) * (span - 3_600_000));
    const length = Math.min(options.count - emitted, 1 + Math.floor(random() * 13));
    const power = random() < powerShare ? Math.floor(random() * POWER_PEOPLE) : -1;
    // A third of sessions come from regulars (the first tenth of visitors), the rest spread over everyone.
    const visitor =
      power >= 0
        ? visitors + power
        : random() < 0.33
          ? Math.floor(random() * visitors * 0.1)
          : Math.floor(random() * visitors);
    const identified = power >= 0 || visitor % 10 < 3;
    // A visitor's plan, fixed by their number (Knuth's multiplicative hash spreads neighbours over the plans).
    const plan = identified ? PLANS[((Math.imul(visitor, 2_654_435_761) >>> 0) % 1000) % PLANS.length]! : null;
    const userId = power >= 0 ? `power_${power}` : `user_${visitor}`;
    const steps: SessionStep[] = [];
    let distinctId: string;
    if (power >= 0) {
      // Sessions go round the person's five ids; a device's first session ends with the identify that links it.
      const round = powerSessions[power]!++;
      const device = round % (POWER_DEVICES + 1);
      distinctId = device === POWER_DEVICES ? userId : `${userId}_device_${device}`;
      while (steps.length < length) steps.push({ event: steps.length === 0 ? "page_view" : "", path: "", gap: 0 });
      if (device < POWER_DEVICES && round < POWER_DEVICES + 1)
        steps.push({ event: "identify", path: "", gap: 1_000, distinctId: userId });
    } else if (identified && !identifiedYet[visitor]) {
      // The first session: anonymous until the identify, which follows the signup when the journey gets that far.
      identifiedYet[visitor] = 1;
      distinctId = `anon_${visitor.toString(36)}`;
      if (random() < SIGNUP_JOURNEY_SHARE) steps.push(...journey(SIGNUP_JOURNEY, true));
      if (steps.length === 0) steps.push({ event: "page_view", path: "", gap: 0 });
      steps.push({ event: "identify", path: "", gap: 1_000, distinctId: userId });
    } else if (identified) {
      distinctId = userId;
      if (random() < CHECKOUT_JOURNEY_SHARE) steps.push(...journey(CHECKOUT_JOURNEY, true));
    } else {
      distinctId = `anon_${visitor.toString(36)}`;
      if (random() < ANONYMOUS_JOURNEY_SHARE) steps.push(...journey(SIGNUP_JOURNEY, false));
    }
    // After the journey (or the identify), the session goes on with the usual mix under the identified id.
    const idAfterIdentify = steps.find((step) => step.distinctId)?.distinctId;
    while (steps.length < length) steps.push({ event: steps.length === 0 ? "page_view" : "", path: "", gap: 0 });
    const userAgent = SEED_USER_AGENTS[visitor % SEED_USER_AGENTS.length]![0];
    const sessionId = `s_${s.toString(36)}_${visitor.toString(36)}`;
    const referrer = weighted(REFERRERS, random);
    const campaign = random() < 0.12 ? CAMPAIGNS[Math.floor(random() * CAMPAIGNS.length)]! : null;
    let path = pickPath();
    let after = false;
    for (const [i, step] of steps.entries()) {
      if (emitted >= options.count) break;
      const event = step.event || weighted(EVENT_MIX, random);
      if (step.path) path = step.path;
      else if (event === "page_view" && i > 0) path = pickPath();
      if (i > 0) at += step.gap || pageGap();
      const query =
        i === 0 && campaign ? `?utm_source=${campaign[0]}&utm_medium=${campaign[1]}&utm_campaign=${campaign[2]}` : "";
      const properties: Record<string, string | number | boolean> = {};
      if (plan) properties.plan = plan;
      if (event === "identify") properties.$anon_distinct_id = distinctId;
      if (event === "button_click") properties.button = random() < 0.5 ? "cta" : "nav";
      if (event === "form_submit" && path === "/checkout") properties.form = "checkout";
      if (event === "purchase") {
        properties.amount = Math.round(random() * 20_000) / 100;
        properties.currency = "EUR";
        properties.plan = plan ?? (random() < 0.3 ? "pro" : "team");
        properties.order_id = `ord_${orders++}`;
      }
      if (event === "signup") properties.plan = random() < 0.2 ? "pro" : "free";
      yield {
        event,
        distinctId: step.distinctId ?? (after && idAfterIdentify && power < 0 ? idAfterIdentify : distinctId),
        sessionId,
        pageUrl: `${SITE}${path}${query}`,
        path,
        referrer: i === 0 ? referrer : null,
        referrerHost: i === 0 && referrer ? new URL(referrer).hostname : null,
        utmSource: i === 0 && campaign ? campaign[0] : null,
        utmMedium: i === 0 && campaign ? campaign[1] : null,
        utmCampaign: i === 0 && campaign ? campaign[2] : null,
        userAgent,
        properties,
        timestamp: at,
        visitor,
      };
      if (step.distinctId) after = true;
      emitted += 1;
    }
  }
}
