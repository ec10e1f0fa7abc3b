/**
 * People end to end in headless Chromium, against the real server (the built client and SDK, tRPC, ingest, worker)
 * on its own PostgreSQL database and Redis key prefix: a visitor browses the SDK's demo page anonymously, identifies
 * with traits, reloads, identifies again and sets a trait with `$set`; the owner then finds one person (not two) on
 * the People page, with both ids and the traits, and its events on the person page, reached from the list and from
 * the sessions table. Then cohorts: one made on the Cohorts page filters the dashboard, its chip naming it and its
 * figures those of its members.
 *
 * Skipped (with a message) only when no Chromium is installed and CI is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildClient, isClientBuildCurrent } from "../../scripts/build-client.ts";
import { buildSdk } from "../../scripts/build-sdk.ts";
import type { RunningServer } from "../../server/http/serve.ts";
import { bootWorker, type StoppableWorker } from "../../server/pipeline/worker/boot.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../server/test-support/browser.ts";
import { createTestServices, startTestServer, type TestServices } from "../../server/test-support/services.ts";
import { E2E_PASSWORD, signUpWithProject } from "../test-support/e2e-setup.ts";
import { findA11yViolations } from "./axe.ts";

const ARTIFACTS = path.resolve(import.meta.dirname, "..", "..", "test-artifacts");
const EMAIL = `e2e-people-${Date.now()}@example.com`;
const PASSWORD = "Correct-Horse-42!";
const USER_ID = "user_307";

const skip = shouldSkipBrowserTests();
if (skip) console.warn("client/e2e/people.test.ts: skipped, no Chromium installed (apt-get install -y chromium)");

let test: TestServices;
let server: RunningServer;
let worker: StoppableWorker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

/** Calls a tRPC procedure with the page's cookies; returns its data. */
async function call(procedure: string, input: unknown, method: "GET" | "POST" = "POST"): Promise<unknown> {
  return page.evaluate(
    async ([name, body, verb]) => {
      const url =
        verb === "GET" ? `/api/trpc/${name}?input=${encodeURIComponent(JSON.stringify(body))}` : `/api/trpc/${name}`;
      const res = await fetch(url, {
        method: verb,
        headers: verb === "POST" ? { "content-type": "application/json" } : {},
        body: verb === "POST" ? JSON.stringify(body ?? null) : undefined,
      });
      if (!res.ok) throw new Error(`${name} answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { result: { data: unknown } }).result.data;
    },
    [procedure, input, method] as const,
  );
}

async function until<T>(check: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

describe.skipIf(skip)("people in the browser", () => {
  beforeAll(async () => {
    if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
    // The app serves the SDK from sdk/dist: this run's build.
    await buildSdk();
    test = await createTestServices();
    server = startTestServer(test.services);
    worker = await bootWorker(test.services, { consumer: "e2e-people" });
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: server.url, viewport: { width: 390, height: 844 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.stop();
    await test?.cleanup();
  }, 60_000);

  it("shows one person after identify, reload and identify, with the SDK's traits, on the person page", async () => {
    try {
      const created = await signUpWithProject(page, { projectName: "People shop", email: EMAIL, password: PASSWORD });
      const projectId = created.projectId;

      // The visitor: anonymous first, then identified with traits; a reload keeps the id, a second identify and a
      // $set on a custom event add to the same person.
      await page.goto(`/demo?project=${encodeURIComponent(created.apiKey)}`);
      await page.waitForFunction(() => typeof window.tracker?.event === "function");
      await page.evaluate(() => {
        window.tracker.event("browse", { $set: { plan: "free", color: "red" } });
        window.tracker.flush();
      });
      await page.evaluate((id) => {
        window.tracker.identify(id, { email: "ada@example.test", name: "Ada" });
        window.tracker.flush();
      }, USER_ID);
      await page.reload();
      await page.waitForFunction(() => typeof window.tracker?.event === "function");
      await page.evaluate((id) => {
        window.tracker.identify(id);
        window.tracker.event("upgrade", { $set: { plan: "pro" }, $unset: ["color"] });
        window.tracker.flush();
      }, USER_ID);

      type Page = { total: number; items: Array<{ distinctId: string; aliases: string[]; traits: object }> };
      const people = await until(async () => {
        const listed = (await call("people.list", { projectId }, "GET")) as Page;
        // Every event is in once the traits are complete (the first identify may be resent after the reload).
        return listed.items.length === 1 && Object.keys(listed.items[0]!.traits).length === 3 ? listed : null;
      }, "one person with three traits");
      expect(people.items[0]!.distinctId).toBe(USER_ID);
      expect(people.items[0]!.aliases.length).toBe(1);
      expect(people.items[0]!.traits).toEqual({ plan: "pro", email: "ada@example.test", name: "Ada" });
      const anonymousId = people.items[0]!.aliases[0]!;

      // The owner: the People page lists one person; its page shows the traits, both ids and the timeline.
      await page.goto(`/projects/${projectId}/people`);
      const rows = page.getByRole("table", { name: "People" }).getByRole("row");
      await page.getByRole("link", { name: USER_ID }).waitFor();
      expect(await rows.count()).toBe(2); // the header and one person
      expect(await findA11yViolations(page)).toEqual([]);
      await page.getByLabel("Search people").fill("EXAMPLE.test");
      await page.waitForURL((url) => url.searchParams.get("q") === "EXAMPLE.test");
      await page.getByRole("link", { name: USER_ID }).click();
      await page.waitForURL(`**/projects/${projectId}/people/${USER_ID}`);
      await page.getByRole("heading", { name: USER_ID, level: 1 }).waitFor();
      const traits = page.locator("section", { has: page.getByRole("heading", { name: "Traits" }) }).last();
      expect(await traits.locator("dt").allTextContents()).toEqual(["email", "name", "plan"]);
      expect(await traits.locator("dd").allTextContents()).toEqual(["ada@example.test", "Ada", "pro"]);
      await page.getByText(anonymousId, { exact: true }).first().waitFor();
      const timeline = page.locator("section", { has: page.getByRole("heading", { name: "Timeline" }) }).last();
      await timeline.getByText("upgrade", { exact: true }).waitFor();
      await timeline.getByText("browse", { exact: true }).waitFor();
      expect(await findA11yViolations(page)).toEqual([]);

      // Under the anonymous id, the same person; and the sessions table links its id to the page.
      await page.goto(`/projects/${projectId}/people/${encodeURIComponent(anonymousId)}`);
      await page.getByRole("heading", { name: USER_ID, level: 1 }).waitFor();
      await page.goto(`/projects/${projectId}`);
      // The session shows whichever id it saw last; either leads to the person.
      await page.getByRole("table", { name: "Sessions" }).getByRole("link").first().click();
      await page.getByRole("heading", { name: USER_ID, level: 1 }).waitFor();
      expect(pageErrors).toEqual([]);
    } catch (error) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page?.screenshot({ path: path.join(ARTIFACTS, "e2e-people.png"), fullPage: true }).catch(() => {});
      console.error(`page errors: ${JSON.stringify(pageErrors)}`);
      throw error;
    }
  }, 120_000);

  it("makes a cohort on the Cohorts page and filters the dashboard by it, the chip naming it", async () => {
    try {
      await context.clearCookies();
      const created = await signUpWithProject(page, { projectName: "Cohort shop", password: E2E_PASSWORD });
      const projectId = created.projectId;
      // Six people: user_0..user_5 with 1..6 page views each (one session per view), user_0 and user_3 sign up.
      const now = Date.now();
      const events: object[] = [];
      for (let p = 0; p < 6; p++) {
        for (let k = 0; k <= p; k++) {
          events.push({
            event: "page_view",
            distinct_id: `user_${p}`,
            session_id: `s-${p}-${k}`,
            timestamp: new Date(now - (p * 10 + k + 1) * 3_600_000).toISOString(),
            properties: { path: "/" },
          });
        }
        if (p % 3 === 0) {
          events.push({
            event: "signup",
            distinct_id: `user_${p}`,
            session_id: `s-${p}-0`,
            timestamp: new Date(now - (p * 10 + 1) * 3_600_000 + 60_000).toISOString(),
          });
        }
      }
      const ingest = await fetch(`${server.url}/api/v1/events/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": created.apiKey },
        body: JSON.stringify({ events }),
      });
      expect(ingest.status).toBe(202);
      await until(async () => {
        const overview = (await call("analytics.overview", { projectId, period: "7d" }, "GET")) as {
          totalEvents: number;
        };
        return overview.totalEvents === events.length;
      }, "every event stored");

      // At least 3 page views and no signup: user_2, user_4 and user_5 (3 + 5 + 6 = 14 page views).
      await page.goto(`/projects/${projectId}/cohorts`);
      await page.getByRole("button", { name: "New cohort" }).click();
      const editor = page.getByRole("region", { name: "New cohort" });
      await editor.getByLabel("Name", { exact: true }).fill("Keen, not signed up");
      const first = editor.getByRole("group", { name: "Group 1, condition 1" });
      await first.getByLabel("Event name", { exact: true }).fill("page_view");
      await first.getByLabel("Times", { exact: true }).fill("3");
      await editor.getByRole("button", { name: "And another condition" }).click();
      const second = editor.getByRole("group", { name: "Group 1, condition 2" });
      await second.getByLabel("Kind of condition").selectOption("not_performed");
      await second.getByLabel("Event name", { exact: true }).fill("signup");
      await editor.getByRole("button", { name: "Create cohort" }).click();
      const row = page.getByRole("table", { name: "Cohorts" }).getByRole("row", { name: /Keen, not signed up/ });
      await row.getByRole("cell", { name: "3", exact: true }).waitFor();
      expect(await findA11yViolations(page)).toEqual([]);
      const listed = (await call("cohorts.list", { projectId }, "GET")) as { items: Array<{ id: string }> };
      const cohortId = listed.items[0]!.id;

      // Opened from a link, as a shared URL would be: the chip names the cohort, the cards count its members.
      await page.goto(`/projects/${projectId}?period=7d&f=in:cohort:${cohortId}`);
      await page.getByRole("group", { name: "Active filters" }).getByText("In cohort Keen, not signed up").waitFor();
      const card = (label: string) => page.locator(".card", { has: page.getByText(label, { exact: true }) }).first();
      await card("Unique users").getByText("3", { exact: true }).waitFor();
      await card("Total events").getByText("14", { exact: true }).waitFor();
      expect(pageErrors).toEqual([]);
    } catch (error) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page?.screenshot({ path: path.join(ARTIFACTS, "e2e-cohorts.png"), fullPage: true }).catch(() => {});
      console.error(`page errors: ${JSON.stringify(pageErrors)}`);
      throw error;
    }
  }, 120_000);
});
