/**
 * The SDK in real headless Chromium against a recording stand-in for the ingest endpoint (sdk/test-support/
 * fake-ingest.ts), the page and the API on different origins. These tests pin what the browser actually sends:
 * bodies, transports, timing, retries and storage. sdk.e2e.browser.test.ts runs the same SDK against the real server
 * and PostgreSQL.
 *
 * Skipped (with a message) only when no Chromium is installed and CI is not set; in CI a missing browser fails.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildSdk } from "../scripts/build-sdk.ts";
import { launchChromium, shouldSkipBrowserTests } from "../server/test-support/browser.ts";
import type { IngestEvent } from "../shared/ingest.ts";
import { createFakeIngest } from "./test-support/fake-ingest.ts";
import { until, waitForTracker, watchConsole } from "./test-support/page-helpers.ts";
import { startApiServer, startPageServer, type TestServer } from "./test-support/servers.ts";

const KEY = "proj_browser_test";
// Some tests wait out the 2 s flush interval or a Retry-After on purpose.
setDefaultTimeout(20_000);
const skip = shouldSkipBrowserTests();
if (skip) console.warn("sdk.browser.test.ts: skipped, no Chromium at /usr/bin/chromium (apt-get install -y chromium)");

const fake = createFakeIngest(KEY);
let distDir: string;
let api: TestServer;
let site: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[];
let consoleWarnings: string[];

const stored = (name?: string): IngestEvent[] => fake.stored.filter((e) => name === undefined || e.event === name);
const waitForStored = (name: string, count = 1) =>
  until(() => (stored(name).length >= count ? stored(name) : null), `${count} stored ${name} event(s)`);

function demoUrl(pathname = "/demo", query: Record<string, string> = {}): string {
  const params = new URLSearchParams({ project: KEY, api: api.origin, ...query });
  return `${site.origin}${pathname}?${params}`;
}

async function open(url: string): Promise<void> {
  await page.goto(url);
  await waitForTracker(page);
}

async function newPage(): Promise<void> {
  page = await context.newPage();
  ({ errors: consoleErrors, warnings: consoleWarnings } = watchConsole(page));
}

describe.skipIf(skip)("sdk in the browser", () => {
  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), "sdk-dist-"));
    await buildSdk(distDir);
    api = startApiServer(distDir, (req) => fake.handle(req));
    site = startPageServer(() => api.origin);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), site?.stop()]);
    if (distDir) await rm(distDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    fake.reset();
    context = await browser.newContext();
    await newPage();
  });

  afterEach(async () => {
    await context.close();
  });

  it("sends an automatic page_view with the page, session, referrer and a UUIDv7 insert_id", async () => {
    await open(demoUrl("/demo", { utm_source: "newsletter", utm_campaign: "launch" }));
    const [view] = await waitForStored("page_view");
    expect(view!.properties).toEqual({ path: "/demo" });
    expect(view!.page_url).toContain("utm_source=newsletter&utm_campaign=launch");
    expect(view!.insert_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(view!.session_id).toMatch(/^[0-9a-f-]{36}$/);
    // Anonymous by default: no distinct_id at all, the server derives the daily visitor id.
    expect(view!.distinct_id).toBeUndefined();
    expect("distinct_id" in view!).toBe(false);
    expect(Math.abs(Date.parse(view!.timestamp!) - Date.now())).toBeLessThan(10_000);

    const [request] = fake.requests;
    expect(request!.body.api_key).toBe(KEY);
    expect(Date.parse(request!.body.sent_at!)).toBeGreaterThanOrEqual(Date.parse(view!.timestamp!));
    // A CORS-safelisted body: no preflight from customers' pages.
    expect(request!.contentType).toStartWith("text/plain");
    expect(consoleErrors).toEqual([]);
  });

  it("sends a page_view for each pushState, path-changing replaceState and popstate", async () => {
    await open(demoUrl());
    await page.evaluate(() => window.tracker.flush());
    await waitForStored("page_view");
    await page.click("#nav-push");
    await page.click("#nav-replace");
    await page.evaluate(() => history.replaceState({ same: true }, "", location.href));
    await page.click("#nav-back");
    await page.waitForFunction(() => location.pathname === "/demo");
    await page.evaluate(() => window.tracker.flush());
    const views = await waitForStored("page_view", 4);
    expect(views.map((v) => v.properties!.path)).toEqual(["/demo", "/demo/pricing", "/demo/docs", "/demo"]);
    await Bun.sleep(300);
    expect(stored("page_view")).toHaveLength(4);
    expect(new Set(views.map((v) => v.session_id)).size).toBe(1);
    expect(consoleErrors).toEqual([]);
  });

  it("counts hash routes as page views only with data-hash-routing", async () => {
    await open(demoUrl());
    await page.click("#nav-hash");
    await page.evaluate(() => window.tracker.flush());
    await Bun.sleep(300);
    expect(stored("page_view").map((v) => v.properties!.path)).toEqual(["/demo"]);

    fake.reset();
    await page.evaluate(() => sessionStorage.clear());
    await open(demoUrl("/demo", { hash: "1" }));
    await page.click("#nav-hash");
    await page.evaluate(() => window.tracker.flush());
    const views = await waitForStored("page_view", 2);
    expect(views.map((v) => v.properties!.path)).toEqual(["/demo", "/demo#/settings"]);
  });

  it("sends custom events with their properties and the registered ones", async () => {
    await open(demoUrl());
    await page.evaluate(() => {
      window.tracker.register({ plan: "pro" });
      window.tracker.event("signup", { button: "hero", nested: { level: 2 }, list: [1, 2] });
      window.tracker.event("upgrade", { plan: "team" });
      window.tracker.flush();
    });
    const [signup] = await waitForStored("signup");
    expect(signup!.properties).toEqual({ plan: "pro", button: "hero", nested: { level: 2 }, list: [1, 2] });
    const [upgrade] = await waitForStored("upgrade");
    expect(upgrade!.properties).toEqual({ plan: "team" });
    expect(consoleErrors).toEqual([]);
  });

  it("sends 10 events in one request at once and fewer after 2 seconds", async () => {
    await open(demoUrl());
    await waitForStored("page_view");
    fake.reset();
    const start = Date.now();
    await page.evaluate(() => {
      for (let i = 0; i < 10; i++) window.tracker.event("burst", { i });
    });
    await waitForStored("burst", 10);
    expect(Date.now() - start).toBeLessThan(1500);
    expect(fake.requests).toHaveLength(1);

    fake.reset();
    const quiet = Date.now();
    await page.evaluate(() => {
      for (let i = 0; i < 3; i++) window.tracker.event("trickle", { i });
    });
    await waitForStored("trickle", 3);
    expect(Date.now() - quiet).toBeGreaterThanOrEqual(1900);
    expect(fake.requests).toHaveLength(1);
  });

  it("keeps the distinct id and session across a reload and forgets both on reset", async () => {
    await open(demoUrl());
    await page.evaluate(() => {
      window.tracker.identify("user-42", { plan: "pro" });
      window.tracker.flush();
    });
    const [identify] = await waitForStored("$identify");
    expect(identify!.distinct_id).toBe("user-42");
    // No anonymous id is known in the default mode: the server names the request's own visitor id.
    expect(identify!.properties).toEqual({ plan: "pro" });

    await page.reload();
    await waitForTracker(page);
    await page.evaluate(() => {
      window.tracker.event("after_reload");
      window.tracker.flush();
    });
    const [after] = await waitForStored("after_reload");
    expect(after!.distinct_id).toBe("user-42");
    expect(after!.session_id).toBe(identify!.session_id);

    await page.evaluate(() => {
      window.tracker.reset();
      window.tracker.event("after_reset");
      window.tracker.flush();
    });
    const [reset] = await waitForStored("after_reset");
    expect(reset!.distinct_id).toBeUndefined();
    expect(reset!.session_id).not.toBe(identify!.session_id);
    expect(consoleErrors).toEqual([]);
  });

  it("starts a new session after 30 minutes without events, keeping the distinct id", async () => {
    await context.clock.install();
    await open(demoUrl());
    await page.evaluate(() => {
      window.tracker.event("before_break");
      window.tracker.flush();
    });
    const [before] = await waitForStored("before_break");
    await page.clock.fastForward("29:00");
    await page.evaluate(() => {
      window.tracker.event("still_same");
      window.tracker.flush();
    });
    const [same] = await waitForStored("still_same");
    expect(same!.session_id).toBe(before!.session_id);
    await page.clock.fastForward("31:00");
    await page.evaluate(() => {
      window.tracker.event("after_break");
      window.tracker.flush();
    });
    const [after] = await waitForStored("after_break");
    expect(after!.session_id).not.toBe(before!.session_id);
    expect(after!.distinct_id).toBe(before!.distinct_id);
  });

  it("delivers every event tracked right before leaving for another site", async () => {
    await open(demoUrl());
    await page.evaluate((elsewhere) => {
      for (let i = 0; i < 7; i++) window.tracker.event("last_words", { i });
      location.href = elsewhere;
    }, `${site.origin}/elsewhere`);
    await page.waitForURL(/elsewhere/);
    const words = await waitForStored("last_words", 7);
    expect(words.map((e) => e.properties!.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(fake.requests.some((r) => r.mode === "no-cors" && r.body.events.some((e) => e.event === "last_words"))).toBe(
      true,
    );
    expect(consoleErrors).toEqual([]);
  });

  it("falls back to fetch with keepalive on exit where sendBeacon is missing", async () => {
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, "sendBeacon", { value: undefined });
    });
    await open(demoUrl());
    await page.evaluate((elsewhere) => {
      window.tracker.event("keepalive_exit");
      location.href = elsewhere;
    }, `${site.origin}/elsewhere`);
    await page.waitForURL(/elsewhere/);
    await waitForStored("keepalive_exit");
    const exit = fake.requests.find((r) => r.body.events.some((e) => e.event === "keepalive_exit"));
    expect(exit!.mode).toBe("cors");
    expect(exit!.contentType).toStartWith("text/plain");
    expect(consoleErrors).toEqual([]);
  });

  it("sends the queue when the tab is hidden", async () => {
    await open(demoUrl());
    await page.evaluate(() => window.tracker.flush());
    await waitForStored("page_view");
    await page.evaluate(() => {
      window.tracker.event("before_hide");
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await waitForStored("before_hide");
    expect(fake.requests.at(-1)!.mode).toBe("no-cors");
  });

  it("splits a large queue on exit into beacons under 64 KiB and keeps what the browser refuses for the next page", async () => {
    // Hold fetches back so the queue grows past what one beacon can carry; beacons get through.
    fake.respond = ({ mode }) => (mode === "cors" ? { status: 503, retryAfter: "60" } : undefined);
    await open(demoUrl());
    await page.evaluate(() => {
      for (let i = 0; i < 40; i++) window.tracker.event("bulky", { i, text: "x".repeat(2500) });
    });
    await page.evaluate((elsewhere) => (location.href = elsewhere), `${site.origin}/elsewhere`);
    await page.waitForURL(/elsewhere/);
    const beacons = await until(() => {
      const sent = fake.requests.filter((r) => r.mode === "no-cors");
      return sent.length ? sent : null;
    }, "a beacon");
    expect(beacons[0]!.body.events.length).toBeGreaterThan(10);
    for (const beacon of beacons) expect(beacon.bytes).toBeLessThan(64 * 1024);

    // Chromium allows 64 KiB of beacons in flight per page; the rest waits in sessionStorage for the next page
    // of the site in this tab, and anything sent twice is deduplicated by its insert_id.
    fake.respond = () => undefined;
    await page.goBack();
    await waitForTracker(page);
    const bulky = await waitForStored("bulky", 40);
    expect(bulky.map((e) => e.properties!.i).sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  it("retries a 503 after Retry-After with the same insert_id, and the event is stored once", async () => {
    fake.respond = ({ index }) => (index === 0 ? { status: 503, retryAfter: "1" } : undefined);
    await open(demoUrl());
    const [view] = await waitForStored("page_view");
    expect(fake.requests.map((r) => r.status)).toEqual([503, 202]);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(fake.requests[1]!.body.events[0]!.insert_id).toBe(fake.requests[0]!.body.events[0]!.insert_id!);
    expect(fake.arrivals.get(view!.insert_id!)).toBe(2);
    expect(stored()).toHaveLength(1);
  });

  it("backs off exponentially across repeated 5xx and network errors", async () => {
    fake.respond = ({ index }) => (index < 3 ? { status: index === 1 ? 429 : 502 } : undefined);
    await open(demoUrl());
    await waitForStored("page_view");
    const gaps = fake.requests.slice(1).map((r, i) => r.at - fake.requests[i]!.at);
    expect(fake.requests.map((r) => r.status)).toEqual([502, 429, 502, 202]);
    // Attempt n waits 0.5-1 x (250 ms x 2^n): at least 250, 500, 1000 ms.
    expect(gaps[0]!).toBeGreaterThanOrEqual(240);
    expect(gaps[1]!).toBeGreaterThanOrEqual(490);
    expect(gaps[2]!).toBeGreaterThanOrEqual(990);
  });

  it("does not retry a batch the server refuses with a 4xx", async () => {
    fake.respond = () => ({ status: 400 });
    await open(demoUrl());
    await until(() => fake.requests.length, "the first request");
    await page.evaluate(() => {
      window.tracker.event("after_refusal");
      window.tracker.flush();
    });
    await until(() => fake.requests.length >= 2, "the next batch");
    await Bun.sleep(800);
    expect(fake.requests.map((r) => r.body.events.map((e) => e.event))).toEqual([["page_view"], ["after_refusal"]]);
  });

  for (const [status, error] of [
    [401, { code: "unauthorized", message: "Unknown API key." }],
    [403, { code: "forbidden_origin", message: "This project accepts events from its own site only." }],
  ] as const) {
    it(`says once on the console that the server refused the events with ${status}, and never retries them`, async () => {
      fake.respond = () => ({ status, body: { error } });
      await open(demoUrl());
      await until(() => fake.requests.length, "the first request");
      for (const name of ["second", "third"]) {
        await page.evaluate((event) => window.tracker.event(event), name);
        await page.evaluate(() => window.tracker.flush());
      }
      await until(() => fake.requests.length >= 3, "the later batches");
      // Longer than the first two backoff delays: a retry would have come by now.
      await Bun.sleep(1500);
      expect(fake.requests.map((r) => r.body.events.map((e) => e.event))).toEqual([
        ["page_view"],
        ["second"],
        ["third"],
      ]);
      const ours = [...consoleWarnings, ...consoleErrors].filter((m) => m.startsWith("tracker:"));
      expect(ours).toEqual([`tracker: the server refused the events (${status}) ${error.message}`]);
      // Chromium's own "Failed to load resource" line aside, the SDK logged nothing else.
      expect(consoleErrors.filter((m) => !m.includes("Failed to load resource"))).toEqual([]);
    });
  }

  it("drops a batch answered 400 all_events_rejected without a retry or a console message", async () => {
    fake.respond = ({ index, body }) =>
      index === 0
        ? {
            status: 400,
            body: {
              error: {
                code: "all_events_rejected",
                message: "The event was rejected: event: must be 1 to 200 characters.",
              },
              accepted: 0,
              rejected: body.events.map((_, i) => ({ index: i, reason: "event: must be 1 to 200 characters" })),
            },
          }
        : undefined;
    await open(demoUrl());
    await until(() => fake.requests.length, "the first request");
    await page.evaluate(() => {
      window.tracker.event("after_rejection");
      window.tracker.flush();
    });
    await waitForStored("after_rejection");
    await Bun.sleep(1500);
    expect(fake.requests.map((r) => [r.status, r.body.events.map((e) => e.event)])).toEqual([
      [400, ["page_view"]],
      [202, ["after_rejection"]],
    ]);
    expect(consoleWarnings.filter((m) => m.startsWith("tracker:"))).toEqual([]);
  });

  it("keeps unsent events across a reload and sends them once the server recovers", async () => {
    fake.respond = () => ({ status: 503, retryAfter: "60" });
    await open(demoUrl());
    await page.evaluate(() => window.tracker.event("survivor"));
    await until(() => fake.requests.length >= 1, "a refused attempt");
    await page.reload();
    await waitForTracker(page);
    expect(stored()).toHaveLength(0);
    fake.respond = () => undefined;
    await page.evaluate(() => window.tracker.flush());
    const [survivor] = await waitForStored("survivor");
    expect(survivor!.properties).toEqual({});
    expect(stored("page_view")).toHaveLength(2);
  });

  it("sends nothing after optOut, also after a reload, until optIn", async () => {
    await open(demoUrl());
    await waitForStored("page_view");
    await page.evaluate(() => {
      window.tracker.optOut();
      window.tracker.event("while_out");
      window.tracker.flush();
    });
    await page.reload();
    await waitForTracker(page);
    await page.evaluate(() => {
      window.tracker.event("still_out");
      window.tracker.flush();
    });
    await Bun.sleep(500);
    expect(stored().map((e) => e.event)).toEqual(["page_view"]);

    await page.evaluate(() => {
      window.tracker.optIn();
      window.tracker.event("back_in");
      window.tracker.flush();
    });
    await waitForStored("back_in");
    expect(stored().map((e) => e.event)).toEqual(["page_view", "page_view", "back_in"]);
    expect(consoleErrors).toEqual([]);
  });

  it("records nothing with data-require-consent until optIn, then remembers the consent", async () => {
    await open(demoUrl("/demo", { consent: "1" }));
    await page.evaluate(() => {
      window.tracker.event("before_consent");
      window.tracker.flush();
    });
    await Bun.sleep(500);
    expect(fake.requests).toHaveLength(0);
    expect(await page.evaluate(() => sessionStorage.getItem("_tracker"))).toBeNull();

    await page.evaluate(() => window.tracker.optIn());
    const [view] = await waitForStored("page_view");
    expect(view!.properties).toEqual({ path: "/demo" });
    await page.reload();
    await waitForTracker(page);
    await waitForStored("page_view", 2);
    expect(stored("before_consent")).toHaveLength(0);
  });

  it("honours Do Not Track and Global Privacy Control with data-respect-dnt", async () => {
    for (const signal of ["doNotTrack", "globalPrivacyControl"] as const) {
      await context.close();
      context = await browser.newContext();
      await context.addInitScript((name) => {
        Object.defineProperty(Navigator.prototype, name, { get: () => (name === "doNotTrack" ? "1" : true) });
      }, signal);
      await newPage();
      await open(demoUrl("/demo", { dnt: "1" }));
      await page.evaluate(() => {
        window.tracker.event("tracked_anyway");
        window.tracker.flush();
      });
      await open(demoUrl("/demo"));
      await page.evaluate(() => window.tracker.flush());
    }
    // Without data-respect-dnt the same signals do not stop tracking.
    await waitForStored("page_view", 2);
    await Bun.sleep(300);
    expect(stored().map((e) => e.properties!.path)).toEqual(["/demo", "/demo"]);
    expect(stored("tracked_anyway")).toHaveLength(0);
  });

  it("sets no cookies and keeps its state in this tab's sessionStorage", async () => {
    await open(demoUrl());
    await page.evaluate(() => {
      window.tracker.identify("cookie-check");
      window.tracker.event("anything");
      window.tracker.flush();
    });
    await waitForStored("anything");
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => document.cookie)).toBe("");
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);

    const second = await context.newPage();
    await second.goto(demoUrl());
    await waitForTracker(second);
    await second.evaluate(() => window.tracker.flush());
    await waitForStored("page_view", 2);
    const ids = stored("page_view").map((e) => e.distinct_id);
    // A second tab is a separate, anonymous visitor: nothing links tabs without identify().
    expect(ids[1]).not.toBe("cookie-check");
    expect(consoleErrors).toEqual([]);
  });

  it("warns once and tracks nothing when data-project is missing, without breaking calls", async () => {
    await page.goto(`${site.origin}/no-project`);
    await waitForTracker(page);
    await page.evaluate(() => {
      window.tracker.event("ignored");
      window.tracker.identify("nobody");
      window.tracker.flush();
      history.pushState({}, "", "/no-project/next");
    });
    await Bun.sleep(500);
    expect(fake.requests).toHaveLength(0);
    expect(consoleWarnings.filter((w) => w.includes("data-project"))).toHaveLength(1);
    expect(consoleErrors).toEqual([]);
  });

  it("never throws into the page, even with unserialisable properties or broken storage", async () => {
    await context.addInitScript(() => {
      Storage.prototype.setItem = () => {
        throw new DOMException("quota", "QuotaExceededError");
      };
    });
    await open(demoUrl());
    const thrown = await page.evaluate(() => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      try {
        window.tracker.event("cyclic", cyclic);
        window.tracker.event("big", { n: BigInt(1) } as unknown as Record<string, unknown>);
        window.tracker.register(null as unknown as Record<string, unknown>);
        window.tracker.event("fine", { ok: true });
        window.tracker.flush();
        return null;
      } catch (error) {
        return String(error);
      }
    });
    expect(thrown).toBeNull();
    await waitForStored("fine");
    expect(stored("cyclic")).toHaveLength(0);
    expect(consoleErrors).toEqual([]);
  });

  it("starts fresh when its sessionStorage key holds something else", async () => {
    await context.addInitScript(() => {
      if (!sessionStorage.getItem("seeded")) {
        sessionStorage.setItem("seeded", "1");
        sessionStorage.setItem("_tracker", "5");
      }
    });
    await open(demoUrl());
    await page.evaluate(() => window.tracker.flush());
    const [view] = await waitForStored("page_view");
    expect(view!.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(consoleErrors).toEqual([]);
  });

  it('keeps an anonymous id in localStorage with data-persist="local", across reloads and tabs', async () => {
    await open(`${site.origin}/local?project=${KEY}`);
    await page.evaluate(() => window.tracker.flush());
    const [first] = await waitForStored("page_view");
    expect(first!.distinct_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await page.evaluate(() => localStorage.getItem("_tracker_id"))).toBe(first!.distinct_id!);

    await page.reload();
    await waitForTracker(page);
    await page.evaluate(() => window.tracker.flush());
    await waitForStored("page_view", 2);
    const second = await context.newPage();
    await second.goto(`${site.origin}/local?project=${KEY}`);
    await waitForTracker(second);
    await second.evaluate(() => window.tracker.flush());
    const views = await waitForStored("page_view", 3);
    expect(views.map((v) => v.distinct_id)).toEqual([first!.distinct_id, first!.distinct_id, first!.distinct_id]);
    expect(await context.cookies()).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('links the local anonymous id on identify, and starts a new one on reset (data-persist="local")', async () => {
    await open(`${site.origin}/local?project=${KEY}`);
    await page.evaluate(() => {
      window.tracker.identify("user-7", { plan: "pro" });
      window.tracker.event("as_user");
      window.tracker.reset();
      window.tracker.event("after_reset");
      window.tracker.identify("user-8");
      window.tracker.flush();
    });
    const [view] = await waitForStored("page_view");
    const identifies = await waitForStored("$identify", 2);
    const anonymous = view!.distinct_id!;
    expect(anonymous).toMatch(/^[0-9a-f-]{36}$/);
    expect(identifies[0]!.distinct_id).toBe("user-7");
    expect(identifies[0]!.properties).toEqual({ $anon_distinct_id: anonymous, plan: "pro" });
    expect((await waitForStored("as_user"))[0]!.distinct_id).toBe("user-7");
    const [afterReset] = await waitForStored("after_reset");
    expect(afterReset!.distinct_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(afterReset!.distinct_id).not.toBe(anonymous);
    expect(identifies[1]!.distinct_id).toBe("user-8");
    expect(identifies[1]!.properties).toEqual({ $anon_distinct_id: afterReset!.distinct_id });
    expect(await page.evaluate(() => localStorage.getItem("_tracker_id"))).toBe(afterReset!.distinct_id!);
    expect(consoleErrors).toEqual([]);
  });

  it("counts each page view once when the snippet is on the page twice", async () => {
    await page.goto(`${site.origin}/twice?project=${KEY}`);
    await waitForTracker(page);
    await page.evaluate(() => {
      history.pushState({}, "", "/twice/next");
      window.tracker.flush();
    });
    await waitForStored("page_view", 2);
    await Bun.sleep(300);
    expect(stored("page_view").map((e) => e.properties!.path)).toEqual(["/twice", "/twice/next"]);
  });

  it("offers the same API as an ES module", async () => {
    await page.goto(`${site.origin}/module?project=${KEY}`);
    await waitForTracker(page);
    await page.evaluate(() => {
      window.tracker.event("from_module", { via: "esm" });
      window.tracker.flush();
    });
    const [event] = await waitForStored("from_module");
    expect(event!.properties).toEqual({ via: "esm" });
    expect(stored("page_view").map((e) => e.properties!.path)).toEqual(["/module"]);
    expect(consoleErrors).toEqual([]);
  });
});
