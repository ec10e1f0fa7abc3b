/**
 * A shared dashboard end to end in headless Chromium, against the real server and the built client on its own
 * database: an admin's password share opens after the password, shows the project's real numbers and cards, and
 * makes no request but the dashboard's number reads (nothing that names a person: no sessions or users tables, no
 * live feed, no settings or export), its Goals card read-only, without axe violations in light and dark mode; after revocation the link answers 404 before any page. Builds client/dist
 * first when it is missing or stale. Skipped (with a message) only when no Chromium is installed and CI is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { buildClient, isClientBuildCurrent } from "../../scripts/build-client.ts";
import type { RunningServer } from "../../server/http/serve.ts";
import { storeTestEvents, testEvent } from "../../server/test-support/analytics-test-data.ts";
import { registerAndSignIn, type SignedInUser } from "../../server/test-support/auth.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../server/test-support/browser.ts";
import { createTestServices, startTestServer, type TestServices } from "../../server/test-support/services.ts";
import { findA11yViolations } from "./axe.ts";

const skip = shouldSkipBrowserTests();
if (skip) console.warn("client/e2e/share.test.ts: skipped, no Chromium installed (apt-get install -y chromium)");

const PASSWORD = "open sesame 42";
const EVENTS = 37;
/** The only procedures a share page may call. */
const SHARE_PAGE_PROCEDURES = new Set([
  "shares.open",
  "analytics.overview",
  "analytics.timeseries",
  "analytics.topEvents",
  "analytics.breakdown",
  "analytics.entryExitPages",
  "analytics.realtime",
  "goals.list",
  "analytics.goals",
]);

let t: TestServices;
let server: RunningServer;
let browser: Browser;
let page: Page;
let owner: SignedInUser;
let projectId: string;
const called: string[] = [];
const pageErrors: string[] = [];

describe.skipIf(skip)("the share page in a browser", () => {
  beforeAll(async () => {
    if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
    t = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000" }, { redis: false });
    server = startTestServer(t.services);
    owner = await registerAndSignIn(t.services);
    projectId = (await owner.caller.projects.create({ name: "Shared Shop" })).project.id;
    const now = Date.now();
    await storeTestEvents(
      t.services.db,
      Array.from({ length: EVENTS }, (_, i) =>
        testEvent(projectId, {
          at: now - (i + 1) * 3_600_000,
          sessionId: `s${i % 6}`,
          distinctId: `person-${i % 4}@example.com`,
          path: i % 2 ? "/pricing" : "/docs",
        }),
      ),
    );
    await owner.caller.goals.create({ projectId, name: "Saw pricing", pathPattern: "/pricing" });
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith("/api/trpc/")) called.push(...url.pathname.slice("/api/trpc/".length).split(","));
      else if (url.pathname.startsWith("/api/")) called.push(url.pathname);
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await t?.cleanup();
  }, 60_000);

  it("asks for the password, then shows the project's real numbers and nothing that names a person", async () => {
    const share = await owner.caller.shares.create({ projectId, password: PASSWORD });
    await page.goto(share.url);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.getByText("That password is not right.").waitFor();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Open the dashboard" }).click();

    await page.getByRole("heading", { name: "Shared Shop" }).waitFor();
    const total = page.locator('section[aria-label="Key metrics"] .card', { hasText: "Total events" }).locator("p");
    await page.waitForFunction(
      (expected) =>
        [...document.querySelectorAll('section[aria-label="Key metrics"] .card')].some(
          (card) =>
            card.textContent?.includes("Total events") &&
            card.querySelectorAll("p")[1]?.textContent?.trim() === expected,
        ),
      String(EVENTS),
    );
    expect((await total.nth(1).textContent())?.trim()).toBe(String(EVENTS));
    await page.getByText("/pricing").first().waitFor();
    const body = (await page.textContent("body")) ?? "";
    expect(body).not.toContain("person-");
    // The sessions and users tables (activity-tables.tsx) are not on the page; the one table is the countries card's.
    expect(
      await page
        .locator("table caption")
        .filter({ hasText: /Sessions|Users/ })
        .count(),
    ).toBe(0);
    expect(await page.getByRole("columnheader", { name: /Session|User|Distinct/i }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Settings" }).count()).toBe(0);
    expect(await page.getByText("Export CSV").count()).toBe(0);
    expect(await page.locator('a[href*="/people"]').count()).toBe(0);
    // The Goals card, read-only: 2 of the 4 visitors saw /pricing (18 of the views); nothing to add or delete.
    const goals = page.getByRole("region", { name: "Goals" });
    const row = goals.getByRole("row", { name: /Saw pricing/ });
    await row.getByRole("cell", { name: "50.0%" }).waitFor();
    expect(await row.getByRole("cell").allTextContents()).toEqual(["Saw pricing", "2", "18", "50.0%"]);
    expect(await goals.getByRole("button").count()).toBe(0);
    expect(await findA11yViolations(page)).toEqual([]);
    if (process.env.SHARE_E2E_SCREENSHOT)
      await page.screenshot({ path: `${process.env.SHARE_E2E_SCREENSHOT}-light.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await findA11yViolations(page)).toEqual([]);
    if (process.env.SHARE_E2E_SCREENSHOT)
      await page.screenshot({ path: `${process.env.SHARE_E2E_SCREENSHOT}-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((procedure) => !SHARE_PAGE_PROCEDURES.has(procedure))).toEqual([]);
    expect(pageErrors).toEqual([]);

    await owner.caller.shares.revoke({ projectId, id: share.id });
    const reloaded = await page.goto(share.url);
    expect(reloaded?.status()).toBe(404);
    expect(await page.textContent("body")).toContain("Share link not found");
  }, 90_000);

  it("makes a read key and a share link in the project's settings, each shown once", async () => {
    const context = await browser.newContext({ baseURL: server.url });
    const admin = await context.newPage();
    admin.setDefaultTimeout(15_000);
    await admin.goto(`/login?next=${encodeURIComponent(`/projects/${projectId}/settings`)}`);
    await admin.getByLabel("Email", { exact: true }).fill(owner.email);
    await admin.getByLabel("Password", { exact: true }).fill(owner.password);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByRole("heading", { name: "Read keys" }).waitFor();

    await admin.getByLabel("Key name").fill("Nightly report");
    await admin.getByRole("button", { name: "Create read key" }).click();
    await admin
      .getByText(/read_[A-Za-z0-9_-]{43}/)
      .first()
      .waitFor();
    const keyText =
      (await admin
        .getByText(/read_[A-Za-z0-9_-]{43}/)
        .first()
        .textContent()) ?? "";
    const key = /read_[A-Za-z0-9_-]{43}/.exec(keyText)![0];
    await admin.getByRole("cell", { name: "Nightly report" }).waitFor();
    const res = await fetch(`${server.url}/api/v1/stats/aggregate?project_id=${projectId}&period=7d`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { totalEvents: number }).totalEvents).toBe(EVENTS);

    await admin.getByRole("button", { name: "Create share link" }).click();
    const link = admin.getByText(/\/share\/[A-Za-z0-9_-]{43}/).first();
    await link.waitFor();
    const url = /https?:\/\/\S+\/share\/[A-Za-z0-9_-]{43}/.exec((await link.textContent()) ?? "")![0];
    expect((await fetch(url)).status).toBe(200);
    await context.close();
  }, 60_000);
});
