/**
 * The Funnels page end to end in headless Chromium, against the real server (built client, tRPC, the query engine)
 * on its own PostgreSQL database: register, open a project with stored signup/checkout/purchase journeys, reach
 * Funnels from the project's navigation, build a 3-step funnel with the event pickers and read its numbers, break it
 * down, list who dropped, and reload the shared URL. The server listens on FUNNELS_E2E_PORT (55931 by default).
 * A failing step saves a screenshot under test-artifacts/. Skipped only when no Chromium is installed and CI is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { buildClient, isClientBuildCurrent } from "../../scripts/build-client.ts";
import { type RunningServer, startHttpServer } from "../../server/http/serve.ts";
import { storeTestEvents, TEST_USER_AGENTS, testEvent } from "../../server/test-support/analytics-test-data.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../server/test-support/browser.ts";
import { createTestServices, type TestServices } from "../../server/test-support/services.ts";
import { signUpWithProject } from "../test-support/e2e-setup.ts";
import { findA11yViolations } from "./axe.ts";

const ARTIFACTS = path.resolve(import.meta.dirname, "..", "..", "test-artifacts");
const PORT = Number(process.env.FUNNELS_E2E_PORT ?? 55931);
const MINUTE = 60_000;

const skip = shouldSkipBrowserTests();
if (skip) console.warn("client/e2e/funnels.test.ts: skipped, no Chromium installed (apt-get install -y chromium)");

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
    const file = path.join(ARTIFACTS, `e2e-funnels-${name.replace(/\W+/g, "-")}.png`);
    await page?.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`step "${name}" failed; screenshot: ${file}; page errors: ${JSON.stringify(pageErrors)}`);
    throw error;
  }
}

/** Five people sign up two days ago; three check out (one on Firefox), two of them buy. */
function journeys(projectId: string) {
  const start = Date.now() - 2 * 86_400_000;
  const rows = [];
  for (let i = 0; i < 5; i++) {
    const who = `buyer-${i}`;
    const userAgent = i === 2 ? TEST_USER_AGENTS[3]! : TEST_USER_AGENTS[0]!;
    const at = start + i * 10 * MINUTE;
    const ev = (eventName: string, offset: number) =>
      testEvent(projectId, {
        eventName,
        at: at + offset,
        distinctId: who,
        sessionId: `s-${who}`,
        path: "/",
        userAgent,
      });
    rows.push(ev("page_view", -MINUTE), ev("signup", 0));
    if (i < 3) rows.push(ev("checkout", 2 * MINUTE));
    if (i < 2) rows.push(ev("purchase", 5 * MINUTE));
  }
  return rows;
}

describe.skipIf(skip)("funnels in the browser", () => {
  beforeAll(async () => {
    if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
    test = await createTestServices();
    server = startHttpServer(test.services, { port: PORT, hostname: "127.0.0.1" });
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

  it("builds a 3-step funnel and shows its conversion, drop-off, breakdown and people", async () => {
    let projectId = "";
    await step("register", async () => {
      projectId = (
        await signUpWithProject(page, {
          projectName: "Funnel Shop",
          fullName: "Grace Hopper",
          email: `funnels-${Date.now()}@example.com`,
        })
      ).projectId;
      await storeTestEvents(test.services.db, journeys(projectId));
      // A goal to pick as a step: the same events as "signup" with a name of its own.
      const goal = await page.evaluate(async (id) => {
        const res = await fetch("/api/trpc/goals.create", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ projectId: id, name: "Signed up", event: "signup" }),
        });
        return res.status;
      }, projectId);
      expect(goal).toBe(200);
    });

    await step("open-funnels", async () => {
      await page.goto(`/projects/${projectId}`);
      await page.getByRole("heading", { name: "Funnel Shop" }).waitFor();
      expect(await findA11yViolations(page)).toEqual([]);
      await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Funnels" }).click();
      await page.waitForURL(`**/projects/${projectId}/funnels`);
      await page.getByRole("heading", { name: "Funnels", exact: true }).waitFor();
      await page.getByText("Pick an event or a goal for each step").waitFor();
      // The pickers offer the project's own event names.
      await page.locator("datalist option[value='checkout']").waitFor({ state: "attached" });
    });

    await step("build", async () => {
      await page.getByLabel("Step 1 event").fill("signup");
      await page.getByLabel("Step 1 event").press("Tab");
      await page.getByLabel("Step 2 event").fill("checkout");
      await page.getByLabel("Step 2 event").press("Tab");
      // Keyboard only: the Add step button is reachable and pressed with Enter.
      await page.getByRole("button", { name: "Add step" }).focus();
      await page.keyboard.press("Enter");
      await page.getByLabel("Step 3 event").fill("purchase");
      await page.getByLabel("Step 3 event").press("Tab");
      const steps = page.getByTestId("funnel-step");
      await page.waitForFunction(() => document.querySelectorAll("[data-testid=funnel-step]").length === 3);
      expect(await steps.getByTestId("funnel-count").allTextContents()).toEqual(["5", "3", "2"]);
      expect(await steps.getByTestId("funnel-conversion").allTextContents()).toEqual(["100.0%", "60.0%", "40.0%"]);
      expect(await steps.getByTestId("funnel-dropped").allTextContents()).toEqual([
        "2 dropped (40.0%)",
        "1 dropped (33.3%)",
      ]);
      await page.getByText("median 3m after step 2").waitFor();
      const url = new URL(page.url());
      expect(url.searchParams.getAll("step")).toEqual(["signup", "checkout", "purchase"]);
      expect(await findA11yViolations(page)).toEqual([]);
    });

    await step("breakdown-and-people", async () => {
      await page.getByLabel("Break down by", { exact: true }).selectOption({ label: "Browser" });
      const table = page.getByRole("table").filter({ hasText: "Firefox" });
      await table.waitFor();
      expect(
        await table
          .getByRole("row", { name: /Chrome/ })
          .getByRole("cell")
          .allTextContents(),
      ).toEqual(["4", "2 (50.0%)", "2 (50.0%)"]);
      await page.getByRole("button", { name: "Who dropped" }).nth(1).click();
      const dropped = page.getByRole("region", { name: /but not purchase/ });
      await dropped.getByText("buyer-2").waitFor();
      expect(await dropped.getByRole("cell").filter({ hasText: "buyer-" }).allTextContents()).toEqual(["buyer-2"]);
    });

    await step("reload", async () => {
      await page.reload();
      await page.waitForFunction(() => document.querySelectorAll("[data-testid=funnel-step]").length === 3);
      expect(await page.getByTestId("funnel-count").allTextContents()).toEqual(["5", "3", "2"]);
      await page.getByRole("table").filter({ hasText: "Firefox" }).waitFor();
      expect(pageErrors).toEqual([]);
    });

    await step("goal-step", async () => {
      // Step 1 becomes the goal "Signed up" (event signup): the same numbers, the goal's name on the bar, in the URL.
      await page.getByLabel("Step 1 goal").selectOption({ label: "Signed up" });
      await page.getByLabel("Step 1 event").waitFor({ state: "hidden" });
      await page.getByTestId("funnel-step").first().getByText("1. Signed up").waitFor();
      expect(await page.getByTestId("funnel-count").allTextContents()).toEqual(["5", "3", "2"]);
      const url = new URL(page.url());
      expect(url.searchParams.getAll("sg")).toHaveLength(1);
      expect(url.searchParams.getAll("sg")[0]).toMatch(/^0~[0-9a-f-]{36}$/);
      expect(await findA11yViolations(page)).toEqual([]);
      await page.reload();
      await page.getByTestId("funnel-step").first().getByText("1. Signed up").waitFor();
      expect(await page.getByLabel("Step 1 goal").inputValue()).toBe(url.searchParams.get("sg")!.slice(2));
    });

    await step("narrow-and-dark", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.emulateMedia({ colorScheme: "dark" });
      await page.getByTestId("funnel-count").first().waitFor();
      // Nothing wider than the phone: the breakdown table scrolls inside its card.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await findA11yViolations(page)).toEqual([]);
      if (process.env.FUNNELS_E2E_SCREENSHOT)
        await page.screenshot({ path: process.env.FUNNELS_E2E_SCREENSHOT, fullPage: true });
    });
  }, 120_000);
});
