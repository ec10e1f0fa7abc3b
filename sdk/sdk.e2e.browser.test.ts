/**
 * The SDK end to end: headless Chromium on a customer's page (http://localhost:<a>) posts to the real app
 * (createApp on http://127.0.0.1:<b>, its own PostgreSQL database and Redis prefix), the real worker moves the events
 * from the stream into PostgreSQL, and the assertions read the `events` table. The only thing between browser and
 * app is a failure switch that can answer 503 after the app has already stored a batch (a lost response), to prove
 * the retry is deduplicated.
 *
 * Skipped (with a message) only when no Chromium is installed and CI is not set; in CI a missing browser fails.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, setDefaultTimeout } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildSdk } from "../scripts/build-sdk.ts";
import { generateApiKey } from "../server/auth/api-keys.ts";
import { botFilteredEvents, events } from "../server/db/schema/index.ts";
import { createApp } from "../server/http/app.ts";
import { sdkAssetRoutes } from "../server/http/static/sdk-assets.ts";
import { bootWorker, type StoppableWorker } from "../server/pipeline/worker/boot.ts";
import { createProject } from "../server/queries/projects/create-project.ts";
import { ensurePersonalTeam } from "../server/queries/teams/ensure-personal-team.ts";
import { createUser } from "../server/queries/users/create-user.ts";
import { HEADLESS_CHROME_USER_AGENT, launchChromium, shouldSkipBrowserTests } from "../server/test-support/browser.ts";
import { createTestServices, type TestServices } from "../server/test-support/services.ts";
import { until, waitForTracker, watchConsole } from "./test-support/page-helpers.ts";
import { startPageServer, type TestServer } from "./test-support/servers.ts";

setDefaultTimeout(30_000);
const skip = shouldSkipBrowserTests();
if (skip)
  console.warn("sdk.e2e.browser.test.ts: skipped, no Chromium at /usr/bin/chromium (apt-get install -y chromium)");

const INGEST = "/api/v1/events/ingest";

let env: TestServices;
let worker: StoppableWorker;
let projectId: string;
let apiKey: string;
/** The key of a project whose domain is another site than the test page's. */
let otherSiteKey: string;
let distDir: string;
let api: { origin: string; stop(): Promise<void> };
let site: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleSeen: { errors: string[]; warnings: string[] };
/** Ingest requests still to be answered 503 after the app has stored them. */
let loseResponses = 0;
/** insert_ids of every ingest request the app received, in order. */
let ingestedIds: string[][] = [];

type StoredRow = typeof events.$inferSelect;

async function storedRows(): Promise<StoredRow[]> {
  return env.services.db.select().from(events).where(eq(events.projectId, projectId)).orderBy(asc(events.timestamp));
}

async function waitForRows(name: string, count = 1): Promise<StoredRow[]> {
  return until(
    async () => {
      const rows = (await storedRows()).filter((row) => row.eventName === name);
      return rows.length >= count ? rows : null;
    },
    `${count} stored ${name} row(s)`,
    15_000,
  );
}

function demoUrl(pathname = "/demo", query: Record<string, string> = {}): string {
  return `${site.origin}${pathname}?${new URLSearchParams({ project: apiKey, api: api.origin, ...query })}`;
}

async function open(url: string): Promise<void> {
  await page.goto(url);
  await waitForTracker(page);
}

/**
 * The app behind a switch that can lose responses. /static/sdk/* comes from this run's fresh build (the app's own
 * mount serves the shared sdk/dist, which may be older); everything else, /demo included, is the app's.
 */
function startApi(distDir: string): { origin: string; stop(): Promise<void> } {
  const app = createApp(env.services);
  const assets = sdkAssetRoutes({ distDir });
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    development: false,
    async fetch(req, bunServer) {
      const url = new URL(req.url);
      if (url.pathname.startsWith("/static/sdk/")) return assets.fetch(req);
      if (url.pathname === INGEST && req.method === "POST") {
        const text = await req.clone().text();
        ingestedIds.push((JSON.parse(text) as { events: { insert_id: string }[] }).events.map((e) => e.insert_id));
        const res = await app.fetch(req, bunServer);
        if (loseResponses > 0 && res.status === 202) {
          loseResponses -= 1;
          return new Response(JSON.stringify({ error: { code: "unavailable", message: "response lost (test)" } }), {
            status: 503,
            headers: {
              "access-control-allow-origin": "*",
              "access-control-expose-headers": "Retry-After",
              "retry-after": "1",
              "content-type": "application/json",
            },
          });
        }
        return res;
      }
      return app.fetch(req, bunServer);
    },
  });
  return { origin: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

describe.skipIf(skip)("sdk against the real server", () => {
  beforeAll(async () => {
    env = await createTestServices();
    const owner = await createUser(env.services.db, {
      email: `sdk-e2e-${Bun.randomUUIDv7().slice(-8)}@example.test`,
      passwordHash: "not-used-by-these-tests",
      fullName: null,
      closeWhenUsersExist: false,
    });
    if (owner.status !== "created") throw new Error(`cannot create the test user: ${owner.status}`);
    const key = generateApiKey();
    const project = await createProject(env.services.db, {
      teamId: await ensurePersonalTeam(env.services.db, owner.user.id),
      name: "SDK e2e",
      domain: null,
      apiKeyHash: key.apiKeyHash,
      apiKeyPrefix: key.apiKeyPrefix,
    });
    projectId = project.id;
    apiKey = key.apiKey;
    const otherKey = generateApiKey();
    await createProject(env.services.db, {
      teamId: await ensurePersonalTeam(env.services.db, owner.user.id),
      name: "SDK e2e, another site",
      domain: "shop.example.com",
      apiKeyHash: otherKey.apiKeyHash,
      apiKeyPrefix: otherKey.apiKeyPrefix,
    });
    otherSiteKey = otherKey.apiKey;
    worker = await bootWorker(env.services, { consumer: "sdk-e2e" });
    distDir = await mkdtemp(path.join(tmpdir(), "sdk-e2e-dist-"));
    await buildSdk(distDir);
    api = startApi(distDir);
    site = startPageServer(() => api.origin);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), site?.stop()]);
    await worker?.stop();
    await env?.cleanup();
    if (distDir) await rm(distDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    loseResponses = 0;
    ingestedIds = [];
    await env.services.db.delete(events).where(eq(events.projectId, projectId));
    context = await browser.newContext();
    page = await context.newPage();
    consoleSeen = watchConsole(page);
  });

  afterEach(async () => {
    // No test leaves cookies behind, on the page's origin or the API's.
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it("stores the automatic and SPA page views with their paths and UTM parameters", async () => {
    await open(demoUrl("/demo", { utm_source: "newsletter", utm_medium: "email", utm_campaign: "launch" }));
    await page.click("#nav-push");
    await page.click("#nav-replace");
    await page.click("#nav-back");
    await page.waitForFunction(() => location.pathname === "/demo");
    await page.evaluate(() => window.tracker.flush());
    const views = await waitForRows("page_view", 4);
    expect(views.map((row) => row.properties.path)).toEqual(["/demo", "/demo/pricing", "/demo/docs", "/demo"]);
    expect(views.map((row) => row.path)).toEqual(["/demo", "/demo/pricing", "/demo/docs", "/demo"]);
    expect(views[0]!.utmSource).toBe("newsletter");
    expect(views[0]!.utmCampaign).toBe("launch");
    expect(views[0]!.host).toBe("localhost");
    expect(views[0]!.browser).toMatch(/Chrom/);
    expect(new Set(views.map((row) => row.sessionId)).size).toBe(1);
    expect(consoleSeen.errors).toEqual([]);
  });

  it("stores custom events with their properties", async () => {
    await open(demoUrl());
    await page.evaluate(() => {
      window.tracker.register({ plan: "pro" });
      window.tracker.event("signup", { button: "hero", nested: { level: 2 }, tags: ["a", "b"] });
      window.tracker.flush();
    });
    const [signup] = await waitForRows("signup");
    expect(signup!.properties).toEqual({ plan: "pro", button: "hero", nested: { level: 2 }, tags: ["a", "b"] });
    expect(signup!.pageUrl).toContain("/demo?");
    expect(consoleSeen.errors).toEqual([]);
  });

  it("keeps the identified user across a reload", async () => {
    await open(demoUrl());
    await page.fill("#user-id", "user-e2e-7");
    await page.click("#identify");
    await page.reload();
    await waitForTracker(page);
    await page.evaluate(() => {
      window.tracker.event("after_reload");
      window.tracker.flush();
    });
    const [identify] = await waitForRows("$identify");
    const [after] = await waitForRows("after_reload");
    const [view] = await waitForRows("page_view");
    // The anonymous page view got the server's daily visitor id, which the identify event names as the previous id.
    expect(view!.distinctId).toMatch(/^anon:[A-Za-z0-9_-]{22}$/);
    expect(identify!.properties).toEqual({ source: "demo", $anon_distinct_id: view!.distinctId });
    expect(identify!.distinctId).toBe("user-e2e-7");
    expect(after!.distinctId).toBe("user-e2e-7");
    expect(after!.sessionId).toBe(identify!.sessionId);
    expect(consoleSeen.errors).toEqual([]);
  });

  it("stores every event sent right before navigating away", async () => {
    await open(demoUrl());
    await page.evaluate((elsewhere) => {
      for (let i = 0; i < 12; i++) window.tracker.event("last_click", { i });
      location.href = elsewhere;
    }, `${site.origin}/elsewhere`);
    await page.waitForURL(/elsewhere/);
    const rows = await waitForRows("last_click", 12);
    expect(rows.map((row) => row.properties.i).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 12 }, (_, i) => i),
    );
    expect(consoleSeen.errors).toEqual([]);
  });

  it("says once on the console why events from a site outside the project's domain are refused", async () => {
    await open(demoUrl("/demo", { project: otherSiteKey }));
    await until(() => ingestedIds.length, "the first request");
    await page.evaluate(() => window.tracker.event("second"));
    await page.evaluate(() => window.tracker.flush());
    await until(() => ingestedIds.length >= 2, "the second request");
    await Bun.sleep(1500);
    expect(ingestedIds).toHaveLength(2);
    expect(consoleSeen.warnings.filter((m) => m.startsWith("tracker:"))).toEqual([
      "tracker: the server refused the events (403) This project accepts events from its own site only.",
    ]);
  });

  it("stores an event once when its response is lost and the SDK retries", async () => {
    loseResponses = 1;
    await open(demoUrl());
    await page.evaluate(() => {
      window.tracker.event("paid", { amount: 42 });
      window.tracker.flush();
    });
    // The SDK saw a 503 for a batch the app had accepted, waited for Retry-After and sent the same insert_ids again.
    await until(() => ingestedIds.length >= 2, "the retry", 10_000);
    expect(ingestedIds[1]).toEqual(ingestedIds[0]!);
    const [paid] = await waitForRows("paid");
    await Bun.sleep(500);
    const rows = await storedRows();
    expect(rows.filter((row) => row.insertId === paid!.insertId)).toHaveLength(1);
    expect(rows.map((row) => row.eventName).sort()).toEqual(["page_view", "paid"]);
  });

  it("works on the demo page served by the app itself, under the app's CSP", async () => {
    await page.goto(`${api.origin}/demo?project=${apiKey}`);
    const response = await page.request.get(`${api.origin}/demo`);
    expect(response.headers()["content-security-policy"]).toContain("script-src 'self'");
    await waitForTracker(page);
    await page.click("#send-event");
    await page.click("#nav-push");
    await page.click("#flush");
    const [click] = await waitForRows("button_click");
    expect(click!.properties).toEqual({ button_id: "signup", plan: "pro" });
    expect(click!.host).toBe("127.0.0.1");
    await waitForRows("page_view", 2);
    // A CSP violation (inline script, foreign connect) would be logged as a console error.
    expect(consoleSeen.errors).toEqual([]);
  });

  it("stores nothing after optOut, also after a reload", async () => {
    await open(demoUrl());
    await page.evaluate(() => window.tracker.flush());
    await waitForRows("page_view");
    await page.click("#opt-out");
    await page.evaluate(() => {
      window.tracker.event("while_out");
      window.tracker.flush();
    });
    await page.reload();
    await waitForTracker(page);
    await page.evaluate(() => {
      window.tracker.event("still_out");
      window.tracker.flush();
    });
    await Bun.sleep(1000);
    expect((await storedRows()).map((row) => row.eventName)).toEqual(["page_view"]);
    expect(consoleSeen.errors).toEqual([]);
  });

  it("answers a headless browser's events with 202, stores none of them and counts them as filtered bots", async () => {
    // Every other test runs with an ordinary desktop Chrome user agent (launchChromium); this one takes the headless
    // one back, as puppeteer or playwright would leave it.
    await context.close();
    context = await browser.newContext({ userAgent: HEADLESS_CHROME_USER_AGENT });
    page = await context.newPage();
    consoleSeen = watchConsole(page);
    await env.services.db.delete(botFilteredEvents).where(eq(botFilteredEvents.projectId, projectId));
    const answered = page.waitForResponse((res) => res.url().endsWith(INGEST) && res.request().method() === "POST");
    await open(demoUrl());
    await page.evaluate(() => {
      window.tracker.event("headless_probe");
      window.tracker.flush();
    });
    expect((await answered).status()).toBe(202);
    const filtered = await until(
      async () => {
        const rows = await env.services.db
          .select()
          .from(botFilteredEvents)
          .where(eq(botFilteredEvents.projectId, projectId));
        return rows.length >= 2 ? rows : null;
      },
      "2 filtered bot events",
      15_000,
    );
    expect(filtered).toHaveLength(ingestedIds.flat().length);
    expect(new Set(filtered.map((row) => row.insertId))).toEqual(new Set(ingestedIds.flat()));
    expect(await storedRows()).toEqual([]);
    expect(consoleSeen.errors).toEqual([]);
  });

  it("stores nothing with data-require-consent until optIn", async () => {
    await open(demoUrl("/demo", { consent: "1" }));
    await page.evaluate(() => {
      window.tracker.event("before_consent");
      window.tracker.flush();
    });
    await Bun.sleep(1000);
    expect(await storedRows()).toEqual([]);
    expect(ingestedIds).toEqual([]);

    await page.click("#opt-in");
    await page.evaluate(() => {
      window.tracker.event("after_consent");
      window.tracker.flush();
    });
    await waitForRows("after_consent");
    await waitForRows("page_view");
    expect((await storedRows()).map((row) => row.eventName).sort()).toEqual(["after_consent", "page_view"]);
    expect(consoleSeen.errors).toEqual([]);
  });
});
