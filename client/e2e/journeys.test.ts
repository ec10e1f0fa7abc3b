/**
 * The retention and paths pages end to end in headless Chromium, against the real server (built client, tRPC,
 * query engine) on its own PostgreSQL database: an account and a project with stored events, then each page read
 * from the project's navigation, showing the numbers the raw events give, with the settings in the URL; at 390 px
 * wide and in dark mode, without accessibility violations. Skipped (with a message) only when no Chromium is
 * installed and CI is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildClient, isClientBuildCurrent } from "../../scripts/build-client.ts";
import { type RunningServer, startHttpServer } from "../../server/http/serve.ts";
import { storeTestEvents, testEvent } from "../../server/test-support/analytics-test-data.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../server/test-support/browser.ts";
import { createTestServices, type TestServices } from "../../server/test-support/services.ts";
import { signUpWithProject } from "../test-support/e2e-setup.ts";
import { findA11yViolations } from "./axe.ts";

const DAY = 86_400_000;
const skip = shouldSkipBrowserTests();
if (skip) console.warn("client/e2e/journeys.test.ts: skipped, no Chromium installed (apt-get install -y chromium)");

let test: TestServices;
let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let projectId = "";
const pageErrors: string[] = [];

describe.skipIf(skip)("retention and paths in the browser", () => {
  beforeAll(async () => {
    if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
    test = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000000" });
    server = startHttpServer(test.services, { port: 0, hostname: "127.0.0.1" });
    browser = await launchChromium();
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 390, height: 844 },
      colorScheme: "dark",
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    projectId = (
      await signUpWithProject(page, {
        projectName: "Journeys",
        fullName: "Grace Hopper",
        email: `journeys-${Date.now()}@example.com`,
      })
    ).projectId;
    // Four people three days ago on "/" then "/pricing" (two) or "/docs" (two); three of them back yesterday.
    const start = Date.now() - (Date.now() % DAY) - 3 * DAY + 9 * 3_600_000;
    const rows = [];
    for (let u = 0; u < 4; u++) {
      const at = start + u * 60_000;
      const session = `s-${u}`;
      rows.push(testEvent(projectId, { at, distinctId: `p${u}`, sessionId: session, path: "/" }));
      rows.push(
        testEvent(projectId, {
          at: at + 1000,
          distinctId: `p${u}`,
          sessionId: session,
          path: u < 2 ? "/pricing" : "/docs",
        }),
      );
      if (u < 3)
        rows.push(testEvent(projectId, { at: at + 2 * DAY, distinctId: `p${u}`, sessionId: `b-${u}`, path: "/docs" }));
    }
    await storeTestEvents(test.services.db, rows, 50);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await test?.cleanup();
  }, 60_000);

  it("shows the retention triangle with the cohort's size and who came back", async () => {
    await page.goto(`/projects/${projectId}`);
    await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Retention" }).click();
    await page.waitForURL("**/retention");
    await page.getByLabel("Interval").selectOption("day");
    await page.waitForURL((url) => url.searchParams.get("interval") === "day");
    const row = page.getByRole("row").filter({ hasText: "75%" });
    await row.waitFor();
    // 4 people; day 1: nobody back, day 2: 3 of 4, day 3 (today, so far): nobody.
    expect((await row.locator("td").allInnerTexts()).filter((text) => text !== "")).toEqual(["4", "0%", "75%", "0%"]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await findA11yViolations(page)).toEqual([]);
    // The state is in the URL: a reload shows the same.
    await page.reload();
    await page.getByRole("row").filter({ hasText: "75%" }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it("shows the paths from / as a flow and as numbers", async () => {
    await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Paths" }).click();
    await page.waitForURL("**/paths**");
    const flow = page.getByRole("img", { name: "Flow of sessions between steps" });
    await flow.waitFor();
    await page.getByText("Numbers by step").click();
    const cells = await page.locator("details tbody tr").allInnerTexts();
    expect(cells.map((text) => text.replace(/\s+/g, " ").trim())).toEqual([
      "0 / 4",
      "1 /docs 2",
      "1 /pricing 2",
      "2 (end) 4",
    ]);
    // Links: / to /docs and to /pricing, each of them to (end).
    expect(await flow.locator("path").count()).toBe(4);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await findA11yViolations(page)).toEqual([]);
    await page.getByRole("spinbutton", { name: "Steps" }).fill("1");
    await page.getByRole("spinbutton", { name: "Steps" }).press("Enter");
    await page.waitForURL((url) => url.searchParams.get("steps") === "1");
    await page.locator("details tbody tr", { hasText: "(end)" }).waitFor({ state: "detached" });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
