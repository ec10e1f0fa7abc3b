/**
 * The dashboard end to end in headless Chromium, against the real server (the built client, tRPC, ingest, worker,
 * live WebSocket) on its own PostgreSQL database and Redis key prefix. It walks the path a new user takes: register,
 * sign out and back in through a deep link, create a project and read its key, send events through the REST
 * endpoint, watch the live feed move and the numbers appear, filter by a breakdown row and through the filter form,
 * rotate the key, delete the project, get sent away by the live feed when a project or the login ends elsewhere, and
 * sign out.
 *
 * The steps share one browser page and run in order. A failing step saves a screenshot under test-artifacts/.
 * Builds client/dist first when it is missing or older than the client sources. Skipped (with a message) only when no Chromium is installed and CI is
 * not set.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildClient, isClientBuildCurrent } from "../../scripts/build-client.ts";
import { endUserSessions } from "../../server/auth/sessions.ts";
import type { RunningServer } from "../../server/http/serve.ts";
import { bootWorker, type StoppableWorker } from "../../server/pipeline/worker/boot.ts";
import { liveChannel } from "../../server/pipeline/worker/publish-stored-events.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../server/test-support/browser.ts";
import { createTestServices, startTestServer, type TestServices } from "../../server/test-support/services.ts";
import { findA11yViolations } from "./axe.ts";

const ARTIFACTS = path.resolve(import.meta.dirname, "..", "..", "test-artifacts");
const STEP_TIMEOUT_MS = 60_000;
const FIRST_PASSWORD = "Correct-Horse-42!";
const SECOND_PASSWORD = "Battery-Staple-43?";
const EMAIL = `e2e-${Date.now()}@example.com`;
const PROJECT = "E2E Shop";
const RENAMED = "E2E Store";

const skip = shouldSkipBrowserTests();
if (skip) console.warn("client/e2e/dashboard.test.ts: skipped, no Chromium installed (apt-get install -y chromium)");

let test: TestServices;
let server: RunningServer;
let worker: StoppableWorker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
let password = FIRST_PASSWORD;
let apiKey = "";
let projectId = "";

/** Runs a step; on failure keeps a screenshot named after it, then fails. */
async function step(name: string, body: () => Promise<void>) {
  try {
    await body();
  } catch (error) {
    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `e2e-dashboard-${name.replace(/\W+/g, "-")}.png`);
    await page?.screenshot({ path: file, fullPage: true }).catch((shotError: unknown) => {
      console.error("could not save a failure screenshot", shotError);
    });
    console.error(`step "${name}" failed; screenshot: ${file}; page errors: ${JSON.stringify(pageErrors)}`);
    throw error;
  }
}

async function ingest(key: string, events: object[], headers: Record<string, string> = {}) {
  return fetch(`${server.url}/api/v1/events/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key, ...headers },
    body: JSON.stringify({ events }),
  });
}

/** The number shown by a metric card, e.g. "Total events" -> "12". */
const metric = (label: string) =>
  page.locator('section[aria-label="Key metrics"] .card', { hasText: label }).locator("p").nth(1);

/** Calls a tRPC procedure with the page's cookies, as another tab of the same browser would; returns its data. */
async function callFromPage(procedure: string, input: unknown, method: "GET" | "POST" = "POST"): Promise<unknown> {
  return page.evaluate(
    async ([name, body, verb]) => {
      const res = await fetch(`/api/trpc/${name}`, {
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

async function createProjectFromPage(name: string): Promise<string> {
  const created = (await callFromPage("projects.create", { name })) as { project: { id: string } };
  return created.project.id;
}

async function signIn(email: string, password: string) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe.skipIf(skip)("dashboard in the browser", () => {
  beforeAll(async () => {
    // A missing or stale build (sources changed since) is rebuilt, so the test always runs today's client.
    if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
    // The walk makes ~60 tRPC requests a minute from one IP, right at the default per-IP limit: how the client's
    // chunks happen to split decides whether a load batches auth.me with the page's reads. The limit has its own
    // tests (server/http/trpc/rate-limit.test.ts); here it stays out of the way.
    test = await createTestServices({ RATE_LIMIT_PER_MINUTE: "1000" });
    server = startTestServer(test.services);
    worker = await bootWorker(test.services, { consumer: "e2e-dashboard" });
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    // The server's CSP allows only our own scripts and styles files (plus inline styles): any violation is a bug.
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.stop();
    await test?.cleanup();
  }, 60_000);

  it(
    "registers a new account and lands on the projects page",
    async () => {
      await step("register", async () => {
        await page.goto("/");
        expect(await findA11yViolations(page)).toEqual([]);
        await page.getByRole("link", { name: "Create account" }).first().click();
        await page.waitForURL("**/register");
        expect(await findA11yViolations(page)).toEqual([]);
        await page.getByLabel("Full name").fill("Ada Lovelace");
        await page.getByLabel("Email", { exact: true }).fill(EMAIL);
        await page.getByLabel("Password", { exact: true }).fill("short");
        expect(await page.getByText("(not met yet)").count()).toBeGreaterThan(0);
        await page.getByLabel("Password", { exact: true }).fill(password);
        expect(await page.getByText("(not met yet)").count()).toBe(0);
        await page.getByRole("button", { name: "Create account" }).click();
        await page.waitForURL("**/projects");
        await page.getByRole("heading", { name: "Projects", exact: true }).waitFor();
        // Cookies only: nothing about the session is kept in web storage.
        expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
        const cookies = await context.cookies();
        expect(cookies.find((c) => c.name === "access_token")?.httpOnly).toBe(true);
        expect(cookies.find((c) => c.name === "logged_in")?.httpOnly).toBe(false);
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "sends a signed-out deep link to sign in and back",
    async () => {
      await step("deep-link", async () => {
        await page.getByRole("button", { name: /Ada Lovelace/ }).click();
        await page.getByRole("menuitem", { name: "Sign out" }).click();
        await page.waitForURL("**/login");
        await page.goto("/account?tab=password");
        await page.waitForURL(
          (url) => url.pathname === "/login" && url.searchParams.get("next") === "/account?tab=password",
        );
        await signIn(EMAIL, password);
        await page.waitForURL("**/account?tab=password");
        await page.getByRole("heading", { name: "Change password" }).waitFor();
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "changes the password from the account page and lists the account for the administrator",
    async () => {
      await step("account", async () => {
        await page.getByLabel("Current password").fill(password);
        await page.getByLabel("New password", { exact: true }).fill(SECOND_PASSWORD);
        await page.getByLabel("Confirm new password").fill(SECOND_PASSWORD);
        await page.getByRole("button", { name: "Change password" }).click();
        await page.getByText("Password changed.").waitFor();
        password = SECOND_PASSWORD;
        // The first account is the administrator: it sees the Accounts page, and cannot delete itself.
        await page.getByRole("link", { name: "Accounts" }).click();
        await page.waitForURL("**/admin/users");
        const row = page.getByRole("row", { name: new RegExp(EMAIL) });
        await row.waitFor();
        expect(await row.getByRole("button", { name: `Delete ${EMAIL}` }).isDisabled()).toBe(true);
        expect(await findA11yViolations(page)).toEqual([]);
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "creates a project and shows its key and snippet once",
    async () => {
      await step("create-project", async () => {
        await page.getByRole("link", { name: "Projects" }).click();
        await page.getByRole("button", { name: "New project" }).first().click();
        await page.getByLabel("Name").fill(PROJECT);
        await page.getByRole("button", { name: "Create" }).click();
        await page.getByRole("heading", { name: `${PROJECT} is ready` }).waitFor();
        const blocks = page.locator("pre code");
        apiKey = (await blocks.nth(0).textContent())?.trim() ?? "";
        expect(apiKey).toMatch(/^proj_[A-Za-z0-9_-]{40,}$/);
        expect(await blocks.nth(1).textContent()).toContain(`data-project="${apiKey}"`);
        await page.getByRole("link", { name: "Open dashboard" }).click();
        await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
        projectId = new URL(page.url()).pathname.split("/")[2]!;
        await page.getByRole("heading", { name: "Waiting for the first event" }).waitFor();
        await page.getByText("Live", { exact: true }).waitFor();
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "refreshes an expired access token once and stays on the page",
    async () => {
      await step("refresh", async () => {
        await context.clearCookies({ name: "access_token" });
        await page.reload();
        await page.getByRole("heading", { name: "Waiting for the first event" }).waitFor();
        await page.getByText("Live", { exact: true }).waitFor();
        expect((await context.cookies()).some((c) => c.name === "access_token")).toBe(true);
        expect(new URL(page.url()).pathname).toBe(`/projects/${projectId}`);
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "keeps two tabs signed in when both wake up with an expired access token",
    async () => {
      await step("two-tabs", async () => {
        const second = await context.newPage();
        second.on("pageerror", (error) => pageErrors.push(error.message));
        try {
          await second.goto(`/projects/${projectId}`);
          await second.getByRole("heading", { name: "Waiting for the first event" }).waitFor();
          const refreshes: number[] = [];
          const onResponse = (response: { url(): string; status(): number }) => {
            if (new URL(response.url()).pathname === "/api/trpc/auth.refresh") refreshes.push(response.status());
          };
          context.on("response", onResponse);
          try {
            await context.clearCookies({ name: "access_token" });
            await Promise.all([page.reload(), second.reload()]);
            for (const tab of [page, second]) {
              await tab.getByRole("heading", { name: "Waiting for the first event" }).waitFor();
              expect(new URL(tab.url()).pathname).toBe(`/projects/${projectId}`);
            }
            // One refresh elected by the Web Lock, or a second, ordinary rotation by a tab that woke up after it.
            expect(refreshes.length).toBeGreaterThanOrEqual(1);
            expect(refreshes.length).toBeLessThanOrEqual(2);
            expect(refreshes).toEqual(refreshes.map(() => 200));
          } finally {
            context.off("response", onResponse);
          }
          // The login survived: the next refresh still works.
          await context.clearCookies({ name: "access_token" });
          await page.reload();
          await page.getByRole("heading", { name: "Waiting for the first event" }).waitFor();
          expect(new URL(page.url()).pathname).toBe(`/projects/${projectId}`);
        } finally {
          await second.close();
        }
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "shows events sent through the REST endpoint in the live feed and the numbers",
    async () => {
      await step("events", async () => {
        const now = Date.now();
        const events = [
          ...Array.from({ length: 5 }, (_, i) => ({
            event: "page_view",
            page_url: "https://shop.example/pricing?utm_source=newsletter",
            session_id: `s${i}`,
            distinct_id: `u${i % 3}`,
            timestamp: new Date(now - i * 60_000).toISOString(),
          })),
          ...Array.from({ length: 4 }, (_, i) => ({
            event: "page_view",
            page_url: "https://shop.example/",
            referrer: "https://www.google.com/",
            session_id: `s${i}`,
            timestamp: new Date(now - i * 90_000).toISOString(),
          })),
          ...Array.from({ length: 3 }, (_, i) => ({
            event: "signup",
            page_url: "https://shop.example/signup",
            session_id: `s${i}`,
            distinct_id: `u${i}`,
            timestamp: new Date(now - i * 30_000).toISOString(),
          })),
        ];
        // The feed carries what is stored once its socket has subscribed on the server, which can lag the "Live"
        // badge (shown when the socket opens) on a busy machine: wait for the subscription itself.
        const channel = liveChannel(projectId);
        for (let i = 0; i < 200 && !(await test.services.pubsub.hasSubscribers(channel)); i++) await Bun.sleep(50);
        const res = await ingest(apiKey, events);
        expect(res.status).toBe(202);
        expect(await res.json()).toEqual({ accepted: 12, rejected: [] });

        const feed = page.getByTestId("live-feed").locator("li");
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="live-feed"] li').length >= 12, null, {
          timeout: 20_000,
        });
        expect(await feed.count()).toBe(12);
        await metric("Total events").waitFor();
        await page.waitForFunction(
          () =>
            document.querySelector('section[aria-label="Key metrics"] .card p:nth-of-type(2)')?.textContent === "12",
          null,
          { timeout: 20_000 },
        );
        // Sessions s0-s4 all have an event in the last five minutes.
        await page.getByText("5 current visitors").waitFor({ timeout: 20_000 });

        // Reloaded, the feed opens with the stored events, newest first: the oldest (the home page 4.5 min ago) last.
        await page.reload();
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="live-feed"] li').length >= 12, null, {
          timeout: 20_000,
        });
        expect(await feed.count()).toBe(12);
        const last = (await feed.last().textContent()) ?? "";
        expect(last).toContain("page_view");
        expect(last).not.toContain("pricing");
        expect(await metric("Unique sessions").textContent()).toBe("5");
        // u0, u1, u2, and the visitor of the four events sent without a distinct_id: the server gives those the
        // daily visitor id of their IP and user agent (one person, the same for all four).
        expect(await metric("Unique users").textContent()).toBe("4");
        await page.getByRole("region", { name: "Pages", exact: true }).getByText("/pricing").waitFor();
        expect(await findA11yViolations(page)).toEqual([]);

        // A crawler's events: answered 202, left out of every figure, said in one line under the metrics.
        const crawler = { "user-agent": "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)" };
        const bots = [0, 1].map((i) => ({
          event: "page_view",
          page_url: "https://shop.example/",
          session_id: `bot${i}`,
        }));
        expect((await ingest(apiKey, bots, crawler)).status).toBe(202);
        for (let i = 0; i < 100; i++) {
          const overview = (await callFromPage(
            `analytics.overview?input=${encodeURIComponent(JSON.stringify({ projectId, period: "24h" }))}`,
            undefined,
            "GET",
          )) as { botEventsFiltered: number };
          if (overview.botEventsFiltered === 2) break;
          await Bun.sleep(100);
        }
        await page.reload();
        await page.getByTestId("bot-events-filtered").getByText("2 events from bots and crawlers").waitFor();
        expect(await metric("Total events").textContent()).toBe("12");
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "filters the whole dashboard by a breakdown row and removes the filter",
    async () => {
      await step("filter", async () => {
        await page
          .getByRole("region", { name: "Pages", exact: true })
          .getByRole("button", { name: /\/pricing/ })
          .click();
        await page.waitForURL((url) => url.searchParams.getAll("f").includes("eq:path:/pricing"));
        const chip = page.getByRole("group", { name: "Active filters" });
        await chip.getByText("Page is /pricing").waitFor();
        await page.waitForFunction(
          () => document.querySelector('section[aria-label="Key metrics"] .card p:nth-of-type(2)')?.textContent === "5",
          null,
          { timeout: 15_000 },
        );
        expect(await page.getByRole("region", { name: "Top events" }).getByText("signup").count()).toBe(0);
        await chip.getByRole("button", { name: "Remove filter: Page is /pricing" }).click();
        await page.waitForFunction(
          () =>
            document.querySelector('section[aria-label="Key metrics"] .card p:nth-of-type(2)')?.textContent === "12",
          null,
          { timeout: 15_000 },
        );
        expect(new URL(page.url()).searchParams.getAll("f")).toEqual([]);
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "adds does-not-contain and is-set filters through the form and sees every card follow",
    async () => {
      await step("filter form", async () => {
        const totalIs = (n: string) =>
          page.waitForFunction(
            (expected) =>
              document.querySelector('section[aria-label="Key metrics"] .card p:nth-of-type(2)')?.textContent ===
              expected,
            n,
            { timeout: 15_000 },
          );
        const addFilter = async (dimension: string, op: string, value?: string) => {
          await page.getByRole("button", { name: "Add filter" }).click();
          const form = page.getByRole("form", { name: "Add a filter" });
          await form.getByLabel("Dimension").selectOption(dimension);
          await form.getByLabel("Condition").selectOption(op);
          if (value === undefined) expect(await form.getByLabel("Value", { exact: true }).count()).toBe(0);
          else await form.getByLabel("Value", { exact: true }).fill(value);
          await form.getByRole("button", { name: "Apply" }).click();
        };
        const chip = page.getByRole("group", { name: "Active filters" });

        // Case-insensitive: the 5 /pricing views go, the 4 home views and 3 signups stay.
        await addFilter("path", "not_contains", "PRIC");
        await page.waitForURL((url) => url.searchParams.getAll("f").includes("not_contains:path:PRIC"));
        await chip.getByText("Page does not contain PRIC").waitFor();
        await totalIs("7");
        expect(await page.getByRole("region", { name: "Pages", exact: true }).getByText("/pricing").count()).toBe(0);

        // Only the home views came with a referrer.
        await addFilter("referrer", "is_set");
        await chip.getByText("Referrer is set").waitFor();
        await totalIs("4");
        expect(new URL(page.url()).searchParams.getAll("f")).toEqual(["not_contains:path:PRIC", "is_set:referrer"]);
        expect(await metric("Unique sessions").textContent()).toBe("4");
        expect(await page.getByRole("region", { name: "Top events" }).getByText("signup").count()).toBe(0);
        expect(await findA11yViolations(page)).toEqual([]);

        await chip.getByRole("button", { name: "Clear all" }).click();
        await totalIs("12");
        expect(new URL(page.url()).searchParams.getAll("f")).toEqual([]);
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "pages the sessions table forward by cursor and back",
    async () => {
      await step("sessions paging", async () => {
        const now = Date.now();
        // 41 more sessions (46 in all), ending at distinct times, plus three that end at the same instant.
        const events = Array.from({ length: 41 }, (_, i) => ({
          event: "page_view",
          page_url: "https://shop.example/blog",
          session_id: `paged-${String(i).padStart(2, "0")}`,
          timestamp: new Date(now - 120_000 - (i < 3 ? 0 : i) * 1000).toISOString(),
        }));
        expect((await ingest(apiKey, events)).status).toBe(202);
        const activity = page.getByRole("region", { name: "Sessions and users" });
        const pager = activity.getByRole("navigation", { name: "Sessions pages" });
        const rows = activity.getByRole("region", { name: "Sessions table" }).locator("tbody tr");
        const sessionIds = async () => (await rows.locator("td:first-child").allTextContents()).map((t) => t.trim());
        // The buttons are disabled while a page loads (the previous page stays on screen meanwhile).
        const loaded = (range: string, enabled: "Previous" | "Next") =>
          Promise.all([
            pager.getByText(range).waitFor({ timeout: 20_000 }),
            pager.locator("button:enabled", { hasText: enabled }).waitFor(),
          ]);
        await loaded("1–20 of 46", "Next");
        const first = await sessionIds();
        await pager.getByRole("button", { name: "Next" }).click();
        await loaded("21–40 of 46", "Previous");
        const second = await sessionIds();
        await pager.getByRole("button", { name: "Next" }).click();
        await loaded("41–46 of 46", "Previous");
        const third = await sessionIds();
        expect(await pager.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
        expect([first.length, second.length, third.length]).toEqual([20, 20, 6]);
        expect(new Set([...first, ...second, ...third]).size).toBe(46);
        await pager.getByRole("button", { name: "Previous" }).click();
        await loaded("21–40 of 46", "Previous");
        expect(await sessionIds()).toEqual(second);
        await pager.getByRole("button", { name: "Previous" }).click();
        await loaded("1–20 of 46", "Next");
        expect(await sessionIds()).toEqual(first);
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "renames the project at once and sets its domain after a confirmation",
    async () => {
      await step("rename", async () => {
        await page.getByRole("link", { name: "Settings" }).click();
        await page.waitForURL(`**/projects/${projectId}/settings`);
        await page.getByRole("heading", { name: "Settings", exact: true }).waitFor();
        expect(await findA11yViolations(page)).toEqual([]);
        // A rename breaks nothing: it saves at once, with no confirmation.
        await page.getByLabel("Name", { exact: true }).fill(`${RENAMED} draft`);
        await page.getByRole("button", { name: "Save changes" }).click();
        await page.getByText("Changes saved.").waitFor();
        expect(await page.getByRole("alertdialog").count()).toBe(0);
        // Setting a domain stops other sites' events: that asks first.
        await page.getByLabel("Name", { exact: true }).fill(RENAMED);
        await page.getByLabel("Domain", { exact: true }).fill("shop.example");
        await page.getByRole("button", { name: "Save changes" }).click();
        const confirmSave = page.getByRole("alertdialog", { name: "Save changes?" });
        await confirmSave.getByText(`name to “${RENAMED}” and domain to shop.example`).waitFor();
        await confirmSave.getByRole("button", { name: "Save", exact: true }).click();
        await page.getByText("Changes saved.").waitFor();
        await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: RENAMED }).waitFor();
        // Bot filtering is on by default and turned off with one switch, saved at once.
        const botSwitch = page.getByLabel("Filter out bots and crawlers");
        expect(await botSwitch.isChecked()).toBe(true);
        await botSwitch.uncheck();
        const botFiltering = async () =>
          (
            (await callFromPage(
              `projects.get?input=${encodeURIComponent(JSON.stringify({ id: projectId }))}`,
              undefined,
              "GET",
            )) as { botFiltering: boolean }
          ).botFiltering;
        for (let i = 0; i < 100 && (await botFiltering()); i++) await Bun.sleep(100);
        expect(await botFiltering()).toBe(false);
        await page.reload();
        expect(await page.getByLabel("Filter out bots and crawlers").isChecked()).toBe(false);
        await page.getByLabel("Filter out bots and crawlers").check();
        for (let i = 0; i < 100 && !(await botFiltering()); i++) await Bun.sleep(100);
        expect(await botFiltering()).toBe(true);
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "rotates the key after a confirmation: the old key stops, the new one works",
    async () => {
      await step("rotate", async () => {
        await page.getByRole("button", { name: "Rotate API key" }).click();
        const dialog = page.getByRole("alertdialog", { name: "Rotate the API key?" });
        await dialog.getByRole("button", { name: "Rotate key" }).click();
        await page.getByRole("heading", { name: "Your new key" }).waitFor();
        const newKey =
          (
            await page
              .locator("pre code")
              .filter({ hasText: /^proj_/ })
              .first()
              .textContent()
          )?.trim() ?? "";
        expect(newKey).toMatch(/^proj_/);
        expect(newKey).not.toBe(apiKey);
        expect((await ingest(apiKey, [{ event: "after_rotation" }])).status).toBe(401);
        expect((await ingest(newKey, [{ event: "after_rotation" }])).status).toBe(202);
        apiKey = newKey;
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "deletes the project once its name is typed",
    async () => {
      await step("delete", async () => {
        const button = page.getByRole("button", { name: "Delete project" });
        expect(await button.isDisabled()).toBe(true);
        await page.getByLabel(`Type ${RENAMED} to confirm`).fill(PROJECT);
        expect(await button.isDisabled()).toBe(true);
        await page.getByLabel(`Type ${RENAMED} to confirm`).fill(RENAMED);
        await button.click();
        await page.waitForURL("**/projects");
        await page.getByRole("heading", { name: "No projects yet" }).waitFor();
        expect(await findA11yViolations(page)).toEqual([]);
        expect((await ingest(apiKey, [{ event: "after_delete" }])).status).toBe(401);
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "sends the person to sign in when the session cannot be refreshed, and back afterwards",
    async () => {
      await step("session-ended", async () => {
        await context.clearCookies({ name: "access_token" });
        await context.clearCookies({ name: "refresh_token" });
        await page.goto("/projects?from=bookmark");
        await page.waitForURL(
          (url) => url.pathname === "/login" && url.searchParams.get("next") === "/projects?from=bookmark",
        );
        await signIn(EMAIL, password);
        await page.waitForURL("**/projects?from=bookmark");
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "leaves a dashboard for the projects list when its project is deleted elsewhere",
    async () => {
      await step("project-gone", async () => {
        const id = await createProjectFromPage("Deleted elsewhere");
        await page.goto(`/projects/${id}`);
        await page.getByText("Live", { exact: true }).waitFor();
        // As from another tab: a plain request, so only the live feed can tell this page.
        await callFromPage("projects.delete", { id });
        await page.waitForURL((url) => url.pathname === "/projects", { timeout: 5_000 });
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "sends a dashboard to sign in when its login is ended elsewhere, and back afterwards",
    async () => {
      await step("login-ended", async () => {
        const id = await createProjectFromPage("Signed out elsewhere");
        await page.goto(`/projects/${id}`);
        await page.getByText("Live", { exact: true }).waitFor();
        const me = (await callFromPage("auth.me", undefined, "GET")) as { id: string };
        // What a password reset or a disabled account does to every login; the page's cookies stay as they were.
        await endUserSessions(test.services, me.id);
        await page.waitForURL(
          (url) => url.pathname === "/login" && url.searchParams.get("next") === `/projects/${id}`,
          {
            timeout: 5_000,
          },
        );
        await signIn(EMAIL, password);
        await page.waitForURL(`**/projects/${id}`);
        await page.getByText("Live", { exact: true }).waitFor();
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "signs out and keeps signed-out visitors away from the projects",
    async () => {
      await step("sign-out", async () => {
        // By keyboard: the menu button opens on ArrowDown with focus on the first item, Escape closes it and gives
        // focus back, Enter on an item activates it.
        const menuButton = page.getByRole("button", { name: /Ada Lovelace/ });
        await menuButton.focus();
        await page.keyboard.press("ArrowDown");
        await page.waitForFunction(() => document.activeElement?.textContent?.trim() === "Change password");
        await page.keyboard.press("Escape");
        expect(await menuButton.evaluate((element) => element === document.activeElement)).toBe(true);
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("ArrowDown");
        await page.waitForFunction(() => document.activeElement?.textContent?.trim() === "Sign out");
        await page.keyboard.press("Enter");
        await page.waitForURL("**/login");
        expect((await context.cookies()).some((c) => c.name === "logged_in")).toBe(false);
        await page.goto("/projects");
        await page.waitForURL((url) => url.pathname === "/login" && url.searchParams.get("next") === "/projects");
        expect(pageErrors).toEqual([]);
      });
    },
    STEP_TIMEOUT_MS,
  );
});
