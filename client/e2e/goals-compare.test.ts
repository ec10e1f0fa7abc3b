/**
 * Goals, "Compare to" and the Today/Yesterday presets end to end in headless Chromium, against the real server
 * (built client, tRPC, the query engine) on its own PostgreSQL database: events today, yesterday and eight days
 * ago (UTC); Today shows today's and refreshes by itself when an event arrives; Yesterday shows yesterday's;
 * Compare to the day eight days ago puts that day's figures behind the badges and survives a reload; a goal made
 * with the form shows its uniques, conversions and rate. The server listens on a free port. A failing step saves a
 * screenshot under test-artifacts/. Skipped only when no Chromium is installed and CI is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { buildClient, isClientBuildCurrent } from "../../scripts/build-client.ts";
import { type RunningServer, startHttpServer } from "../../server/http/serve.ts";
import { storeTestEvents, testEvent } from "../../server/test-support/analytics-test-data.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../server/test-support/browser.ts";
import { freePort } from "../../server/test-support/free-port.ts";
import { createTestServices, type TestServices } from "../../server/test-support/services.ts";
import { signUpWithProject } from "../test-support/e2e-setup.ts";
import { findA11yViolations } from "./axe.ts";

const ARTIFACTS = path.resolve(import.meta.dirname, "..", "..", "test-artifacts");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const skip = shouldSkipBrowserTests();
if (skip)
  console.warn("client/e2e/goals-compare.test.ts: skipped, no Chromium installed (apt-get install -y chromium)");

let test: TestServices;
let server: RunningServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function step(name: string, body: () => Promise<void>) {
  try {
    await body();
  } catch (error) {
    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `e2e-goals-compare-${name.replace(/\W+/g, "-")}.png`);
    await page?.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`step "${name}" failed; screenshot: ${file}; page errors: ${JSON.stringify(pageErrors)}`);
    throw error;
  }
}

const midnightUtc = (at: number) => at - (at % DAY);
const isoDate = (at: number) => new Date(at).toISOString().slice(0, 10);

/** Today (UTC) 3 events, yesterday 5 (2 signups by 2 people), eight days ago 2. */
function events(projectId: string, now: number) {
  const today = midnightUtc(now);
  // Between midnight and now, so "today" holds them whatever the hour.
  const todayAt = today + Math.floor((now - today) / 2);
  const rows = [];
  for (let i = 0; i < 3; i++) {
    rows.push(testEvent(projectId, { at: todayAt + i, sessionId: "s-today", distinctId: "ann", path: "/" }));
  }
  for (let i = 0; i < 5; i++) {
    rows.push(
      testEvent(projectId, {
        eventName: i < 2 ? "signup" : "page_view",
        at: today - 3 * HOUR + i * 1000,
        sessionId: `s-y-${i}`,
        distinctId: `person-${i}`,
        path: "/pricing",
      }),
    );
  }
  for (let i = 0; i < 2; i++) {
    rows.push(
      testEvent(projectId, { at: today - 8 * DAY + HOUR + i, sessionId: "s-old", distinctId: "old", path: "/" }),
    );
  }
  return rows;
}

/** How many analytics.overview reads the page makes during `ms`. */
async function overviewRequestsDuring(ms: number): Promise<number> {
  let count = 0;
  const listener = (request: { url(): string }) => {
    if (request.url().includes("analytics.overview")) count++;
  };
  page.on("request", listener);
  await Bun.sleep(ms);
  page.off("request", listener);
  return count;
}

const totalEvents = () => page.locator(".card", { hasText: "Total events" }).locator("p").nth(1);

describe.skipIf(skip)("goals, compare and presets in the browser", () => {
  beforeAll(async () => {
    if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
    test = await createTestServices();
    server = startHttpServer(test.services, { port: await freePort(), hostname: "127.0.0.1" });
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await test?.cleanup();
  }, 60_000);

  it("shows today and yesterday, compares with a chosen day, refreshes today, and counts a goal", async () => {
    let projectId = "";
    const now = Date.now();
    await step("register", async () => {
      projectId = (
        await signUpWithProject(page, {
          projectName: "Goal Shop",
          fullName: "Ada Lovelace",
          email: `goals-${Date.now()}@example.com`,
        })
      ).projectId;
      await storeTestEvents(test.services.db, events(projectId, now));
    });

    await step("today", async () => {
      await page.goto(`/projects/${projectId}?period=today&tz=UTC`);
      await page.getByRole("heading", { name: "Goal Shop" }).waitFor();
      await expectText(totalEvents, "3");
      expect(await page.getByLabel("Period", { exact: true }).inputValue()).toBe("today");
    });

    await step("today-refreshes", async () => {
      // A range reaching now refetches every 30 s by itself (no new events, so no live-feed refresh meanwhile).
      expect(await overviewRequestsDuring(33_000)).toBeGreaterThanOrEqual(1);
    });

    await step("yesterday", async () => {
      await page.getByLabel("Period", { exact: true }).selectOption("yesterday");
      await page.waitForURL(/period=yesterday/);
      await expectText(totalEvents, "5");
      // A range wholly in the past never refetches on its own.
      expect(await overviewRequestsDuring(33_000)).toBe(0);
    });

    await step("today-updates", async () => {
      await page.getByLabel("Period", { exact: true }).selectOption("today");
      await expectText(totalEvents, "3");
      const at = Math.max(midnightUtc(Date.now()), Date.now() - 1000);
      await storeTestEvents(test.services.db, [
        testEvent(projectId, { at, sessionId: "s-today", distinctId: "ann", path: "/" }),
      ]);
      await expectText(totalEvents, "4", 45_000);
      await page.getByLabel("Period", { exact: true }).selectOption("yesterday");
      await expectText(totalEvents, "5");
    });

    await step("compare", async () => {
      const chosen = isoDate(midnightUtc(now) - 8 * DAY);
      await page.getByLabel("Compare to", { exact: true }).check();
      await page.getByLabel("Compare from").fill(chosen);
      await page.getByLabel("Compare until").fill(chosen);
      await page.getByRole("button", { name: "Compare", exact: true }).click();
      await page.waitForURL(new RegExp(`cfrom=${chosen}&cto=${chosen}|cto=${chosen}.*cfrom=${chosen}`));
      const card = page.locator(".card", { hasText: "Total events" });
      // 5 against the chosen day's 2: up 150 %.
      await card.getByText("up 150% from the previous period").waitFor();
      await card.getByText(/^vs /).waitFor();
      expect(await card.getByText(/^vs /).textContent()).not.toContain("previous");
      await page.reload();
      await card.getByText("up 150% from the previous period").waitFor();
      expect(await page.getByLabel("Compare from").inputValue()).toBe(chosen);
      expect(await findA11yViolations(page)).toEqual([]);
      // Off again: back to the day just before yesterday (nothing then: "New").
      await page.getByLabel("Compare to", { exact: true }).uncheck();
      await page.waitForURL((url) => !url.searchParams.has("cfrom"));
      await card.getByText("New").waitFor();
    });

    await step("goal", async () => {
      await page.getByRole("button", { name: "Add goal" }).click();
      const dialog = page.getByRole("dialog", { name: "Add a goal" });
      await dialog.getByRole("button", { name: "Add goal" }).click();
      await dialog.getByText("A goal's name must not be empty.").waitFor();
      await dialog.getByLabel("Name", { exact: true }).fill("Signed up");
      await dialog.getByLabel("Event name").fill("signup");
      await dialog.getByRole("button", { name: "Add goal" }).click();
      await dialog.waitFor({ state: "hidden" });
      const row = page.getByRole("table", { name: "Goals" }).getByRole("row", { name: /Signed up/ });
      await row.waitFor();
      // Yesterday: 2 signups by 2 people, out of 5 visitors.
      await expectRowCells(row, ["2", "2", "40.0%"]);
      await page.getByRole("button", { name: "Add goal" }).click();
      await dialog.getByLabel("Name", { exact: true }).fill("Pricing page");
      await dialog.getByLabel("A page visit").check();
      await dialog.getByLabel("Page path").fill("/pri*");
      await dialog.getByRole("button", { name: "Add goal" }).click();
      await dialog.waitFor({ state: "hidden" });
      const pricing = page.getByRole("table", { name: "Goals" }).getByRole("row", { name: /Pricing page/ });
      await expectRowCells(pricing, ["3", "3", "60.0%"]);
      await pricing.getByRole("button", { name: "Delete goal Pricing page" }).click();
      await page.getByRole("alertdialog").getByRole("button", { name: "Delete goal" }).click();
      await pricing.waitFor({ state: "detached" });
      expect(pageErrors).toEqual([]);
    });

    await step("narrow", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      // The Sessions table's 7 columns do not fit: a hint says so until the last column is in view.
      const sessions = page.getByRole("region", { name: "Sessions table" });
      await sessions.waitFor();
      const hint = page.getByTestId("table-scroll-hint");
      await hint.first().waitFor();
      await sessions.evaluate((element) => {
        element.scrollLeft = element.scrollWidth;
      });
      await hint.first().waitFor({ state: "detached" });
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll("body *")]
          .filter((element) => {
            const box = element.getBoundingClientRect();
            if (box.right <= 390.5 || box.width === 0) return false;
            // Inside a sideways scroller is fine: that is what the hint is for.
            for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
              if (getComputedStyle(up).overflowX !== "visible") return false;
            }
            return true;
          })
          .map(
            (element) => `${element.tagName}.${element.className} ${Math.round(element.getBoundingClientRect().right)}`,
          ),
      );
      expect(wide).toEqual([]);
      expect(await findA11yViolations(page)).toEqual([]);
    });
  }, 240_000);
});

async function expectText(locator: () => ReturnType<Page["locator"]>, text: string, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let last: string | null = null;
  while (Date.now() < deadline) {
    last = await locator()
      .textContent({ timeout: 1000 })
      .catch(() => null);
    if (last?.trim() === text) return;
    await Bun.sleep(250);
  }
  throw new Error(`expected "${text}", last saw "${last}"`);
}

async function expectRowCells(row: ReturnType<Page["locator"]>, cells: string[]) {
  const deadline = Date.now() + 15_000;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = (await row.getByRole("cell").allTextContents()).slice(1, 4).map((c) => c.trim());
    if (JSON.stringify(last) === JSON.stringify(cells)) return;
    await Bun.sleep(250);
  }
  throw new Error(`expected ${JSON.stringify(cells)}, last saw ${JSON.stringify(last)}`);
}
