/**
 * The visit metrics on the dashboard in headless Chromium, against the real server (the built client, tRPC) on its own
 * PostgreSQL database: three known visits stored through the pipeline's own storeEvents, then the KPI cards (visits,
 * page views, views per visit, bounce rate, visit duration), the Entry and Exit pages cards and the Top events card's
 * Users column must show the numbers those visits give, read from the accessible names a screen reader hears. With a
 * retention, a range starting before its horizon shows the notice of where raw events start.
 *
 * Skipped (with a message) only when no Chromium is installed and CI is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { buildClient, isClientBuildCurrent } from "../../scripts/build-client.ts";
import { queryRows } from "../../server/db/client.ts";
import type { RunningServer } from "../../server/http/serve.ts";
import { storeTestEvents, testEvent } from "../../server/test-support/analytics-test-data.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../server/test-support/browser.ts";
import { createTestServices, startTestServer, type TestServices } from "../../server/test-support/services.ts";
import { retentionHorizon } from "../../shared/projects.ts";
import { signUpWithProject } from "../test-support/e2e-setup.ts";

const ARTIFACTS = path.resolve(import.meta.dirname, "..", "..", "test-artifacts");
const EMAIL = `e2e-visits-${Date.now()}@example.com`;
const MINUTE = 60_000;

const skip = shouldSkipBrowserTests();
if (skip)
  console.warn("client/e2e/visit-metrics.test.ts: skipped, no Chromium installed (apt-get install -y chromium)");

let test: TestServices;
let server: RunningServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

describe.skipIf(skip)("visit metrics in the browser", () => {
  beforeAll(async () => {
    if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
    test = await createTestServices();
    server = startTestServer(test.services);
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

  it("shows the KPI cards, entry and exit pages and top events' users of three known visits", async () => {
    try {
      const projectId = (
        await signUpWithProject(page, { projectName: "Visits shop", fullName: "Ada Lovelace", email: EMAIL })
      ).projectId;

      // Visit A: two pages over 2 minutes; visit B: one page (a bounce); visit C: a page and a click 30 s later.
      const t0 = Date.now() - 60 * MINUTE;
      const e = (fields: Parameters<typeof testEvent>[1]) => testEvent(projectId, fields);
      await storeTestEvents(test.services.db, [
        e({ at: t0, sessionId: "a", distinctId: "ann", path: "/home" }),
        e({ at: t0 + 2 * MINUTE, sessionId: "a", distinctId: "ann", path: "/pricing" }),
        e({ at: t0 + 5 * MINUTE, sessionId: "b", distinctId: "bob", path: "/home" }),
        e({ at: t0 + 9 * MINUTE, sessionId: "c", distinctId: "cy", path: "/docs" }),
        e({ at: t0 + 9 * MINUTE + 30_000, sessionId: "c", distinctId: "cy", eventName: "button_click", path: "/docs" }),
      ]);

      await page.goto(`/projects/${projectId}`);
      const card = (name: string) => page.getByRole("region", { name, exact: true });
      await card("Visits: 3").waitFor();
      await card("Page views: 4").waitFor();
      await card("Views per visit: 1.33").waitFor();
      await card("Bounce rate: 33%").waitFor();
      // Mean (120 + 0 + 30) / 3 = 50 s; median 30 s.
      await card("Visit duration: 50s").waitFor();
      expect(await card("Visit duration: 50s").textContent()).toContain("median 30s");

      const rowsOf = async (name: string) => {
        const region = page.getByRole("region", { name, exact: true });
        await region.getByRole("button").first().waitFor();
        return (await region.getByRole("button").allInnerTexts()).map((text) =>
          // The row's screen-reader prefix ("Filter by page: ") is part of its text.
          text
            .replace(/\s+/g, " ")
            .replace(/^Filter by [^:]*: /, "")
            .trim(),
        );
      };
      expect(await rowsOf("Entry pages")).toEqual(["/home 2", "/docs 1"]);
      expect(await rowsOf("Exit pages")).toEqual(["/docs 1", "/home 1", "/pricing 1"]);
      // Top events: sessions, users (people), then events per event name (the bar's figure comes last).
      expect(await rowsOf("Top events")).toEqual(["page_view 3 3 4", "button_click 1 1 1"]);
      // Pages: page views and visitors per page, ranked by page views.
      expect(await rowsOf("Pages")).toEqual(["/home 2 2", "/docs 1 1", "/pricing 1 1"]);
      expect(pageErrors).toEqual([]);
    } catch (error) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "e2e-visit-metrics.png"), fullPage: true }).catch(() => {});
      throw error;
    }
  }, 90_000);

  it("says where raw events start when the range starts before the retention horizon", async () => {
    try {
      // The project of the test above (the one this user has), now with a 30-day retention.
      const [row] = await queryRows<{ id: string }>(
        test.services.db,
        sql`select id::text as id from projects where name = 'Visits shop'`,
      );
      const projectId = row!.id;
      const setRetention = (keep: boolean) =>
        test.services.db.execute(
          sql`update projects set retention_days = 30, keep_aggregates_past_retention = ${keep}
               where id = ${projectId}::uuid`,
        );
      const date = new Date(retentionHorizon(Date.now(), 30)).toLocaleDateString("en-GB", {
        timeZone: "UTC",
        day: "numeric",
        month: "short",
        year: "numeric",
      });
      const notice = page.getByRole("note", { name: "Data retention" });
      await setRetention(true);
      await page.goto(`/projects/${projectId}?period=90d`);
      await notice.waitFor();
      expect(await notice.textContent()).toContain(
        `Raw events are kept from ${date}; figures before it come from aggregates.`,
      );
      // A range after the horizon needs no notice.
      await page.goto(`/projects/${projectId}?period=7d`);
      await page.getByRole("region", { name: "Visits: 3", exact: true }).waitFor();
      expect(await notice.count()).toBe(0);
      // Without kept aggregates, and on an analysis, the view covers the horizon on.
      await setRetention(false);
      await page.goto(`/projects/${projectId}?period=90d`);
      await page.getByText(`Raw events are kept from ${date}; this view covers ${date} on.`).waitFor();
      await page.goto(`/projects/${projectId}/retention?period=90d`);
      await page.getByText(`Raw events are kept from ${date}; this view covers ${date} on.`).waitFor();
      // People have no range: with a retention, always the kept events.
      await page.goto(`/projects/${projectId}/people`);
      await page.getByText(`Raw events are kept from ${date}; this view covers ${date} on.`).waitFor();
      expect(pageErrors).toEqual([]);
    } catch (error) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "e2e-raw-data-notice.png"), fullPage: true }).catch(() => {});
      throw error;
    }
  }, 90_000);
});
