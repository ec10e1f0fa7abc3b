/**
 * Teams end to end in headless Chromium against the real server: an owner invites an email from the Team page; in
 * another browser the invitee opens the link (before that the owner makes a team read key there, which reads the
 * team's project through the Stats API), registers that email from it, accepts, and sees the team's project
 * with the viewer's controls only (no settings, key or deletion); the owner's audit log lists the invitation and
 * the join; the owner renames the team from its page; the administrator reads every team's log with a
 * toggle. The login page offers "Forgot password?" (no SMTP here:
 * whom to ask).
 *
 * Skipped (with a message) only when no Chromium is installed and CI is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { buildClient, isClientBuildCurrent } from "../../scripts/build-client.ts";
import type { RunningServer } from "../../server/http/serve.ts";
import { anonymousCaller, testEmail } from "../../server/test-support/auth.ts";
import { launchChromium, shouldSkipBrowserTests } from "../../server/test-support/browser.ts";
import { createTestServices, startTestServer, type TestServices } from "../../server/test-support/services.ts";
import { findA11yViolations } from "./axe.ts";

const PASSWORD = "Correct-Horse-42!";
const skip = shouldSkipBrowserTests();
if (skip) console.warn("client/e2e/teams.test.ts: skipped, no Chromium installed (apt-get install -y chromium)");

const adminEmail = testEmail("admin");
let test: TestServices;
let server: RunningServer;
let browser: Browser;
const pageErrors: string[] = [];

async function call(page: Page, procedure: string, input: unknown): Promise<unknown> {
  return page.evaluate(
    async ([name, body]) => {
      const res = await fetch(`/api/trpc/${name}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body ?? null),
      });
      if (!res.ok) throw new Error(`${name} answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { result: { data: unknown } }).result.data;
    },
    [procedure, input] as const,
  );
}

async function register(page: Page, email: string): Promise<void> {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

describe.skipIf(skip)("teams in the browser", () => {
  beforeAll(async () => {
    if (!(await isClientBuildCurrent())) await buildClient({ quiet: true });
    test = await createTestServices();
    // The first account is the administrator (owner rights everywhere): someone else, so roles show as for anyone.
    await anonymousCaller(test.services).caller.auth.register({ email: adminEmail, password: PASSWORD });
    server = startTestServer(test.services);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await test?.cleanup();
  }, 60_000);

  it("invites by link, registers and joins from it, and shows a viewer only what a viewer can do", async () => {
    const ownerContext = await browser.newContext({ baseURL: server.url });
    const inviteeContext = await browser.newContext({ baseURL: server.url });
    const owner = await ownerContext.newPage();
    const invitee = await inviteeContext.newPage();
    for (const page of [owner, invitee]) {
      page.setDefaultTimeout(15_000);
      page.on("pageerror", (error) => pageErrors.push(error.message));
    }
    const inviteeEmail = testEmail("invitee");

    await owner.goto("/login");
    await owner.getByText("Forgot password?").click();
    await owner.getByText("bun run admin -- reset-password").waitFor();

    await owner.goto("/register");
    await register(owner, testEmail("owner"));
    await owner.waitForURL("**/projects");
    const team = (await call(owner, "teams.create", { name: "Growth" })) as { id: string };
    const { project } = (await call(owner, "projects.create", { name: "Shop", teamId: team.id })) as {
      project: { id: string };
    };

    await owner.goto(`/teams/${team.id}`);
    await owner.getByRole("heading", { name: "Growth" }).waitFor();
    expect(await findA11yViolations(owner)).toEqual([]);
    await owner.getByLabel("Email", { exact: true }).fill(inviteeEmail);
    await owner.getByRole("button", { name: "Invite" }).click();
    const link = (await owner.getByRole("status").locator("code").textContent())!;
    expect(link).toContain("/invite/");

    // A team read key, made on the team page: shown once, listed, and it reads the team's project via the Stats API.
    await owner.getByLabel("Key name").fill("team dashboards");
    await owner.getByRole("button", { name: "Create read key" }).click();
    const teamKey = (await owner
      .getByText(/^read_/)
      .first()
      .textContent())!.trim();
    await owner.getByRole("cell", { name: "team dashboards" }).waitFor();
    const statsStatus = await owner.evaluate(
      async ([key, projectId]) =>
        (
          await fetch(`/api/v1/stats/aggregate?project_id=${projectId}&period=7d`, {
            headers: { authorization: `Bearer ${key}` },
          })
        ).status,
      [teamKey, project.id] as const,
    );
    expect(statsStatus).toBe(200);

    await invitee.goto(link);
    await invitee.getByText(`Growth invites ${inviteeEmail} as viewer.`).waitFor();
    expect(await findA11yViolations(invitee)).toEqual([]);
    await invitee.getByRole("link", { name: `Create an account for ${inviteeEmail}` }).click();
    await invitee.waitForURL("**/register**");
    await invitee.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await invitee.getByRole("button", { name: "Create account" }).click();
    // Registering from the link joined the team already; the page leads there.
    await invitee.getByRole("link", { name: "Open Growth" }).click();
    await invitee.waitForURL(`**/teams/${team.id}`);
    await invitee.getByText("Your role: viewer").waitFor();
    // A viewer gets no invitation form, no role menus, no removal; they may leave.
    expect(await invitee.getByRole("button", { name: "Invite", exact: true }).count()).toBe(0);
    expect(await invitee.getByRole("combobox").count()).toBe(0);
    expect(await invitee.getByRole("button", { name: "Remove" }).count()).toBe(0);
    expect(await invitee.getByRole("heading", { name: "Read keys" }).count()).toBe(0);
    await invitee.getByRole("button", { name: "Leave team" }).waitFor();

    await invitee.goto("/projects");
    await invitee.getByText("Team Growth · viewer").waitFor();
    await invitee.goto(`/projects/${project.id}/settings`);
    await invitee.getByText("Your role in this project's team is viewer").waitFor();
    expect(await invitee.getByRole("button", { name: /rotate/i }).count()).toBe(0);
    expect(await invitee.getByRole("button", { name: /delete/i }).count()).toBe(0);

    await owner.goto(`/teams/${team.id}/audit`);
    await owner.getByText("member.joined").waitFor();
    await owner.getByText("invitation.created").waitFor();
    expect(await findA11yViolations(owner)).toEqual([]);

    // An admin (here the owner) renames the team from its page; the heading follows and the audit log says so.
    await owner.goto(`/teams/${team.id}`);
    await owner.getByLabel("New name").fill("Growth team");
    await owner.getByRole("button", { name: "Rename" }).click();
    await owner.getByRole("heading", { name: "Growth team" }).waitFor();
    expect(await invitee.getByRole("button", { name: "Rename" }).count()).toBe(0);
    await owner.goto(`/teams/${team.id}/audit`);
    await owner.getByText("team.renamed").waitFor();
    // Only the administrator gets the all-teams toggle.
    expect(await owner.getByLabel("Every team (administrator)").count()).toBe(0);

    // The administrator's whole-server log: every team's entries, with the team named.
    const adminContext = await browser.newContext({ baseURL: server.url });
    const admin = await adminContext.newPage();
    admin.setDefaultTimeout(15_000);
    admin.on("pageerror", (error) => pageErrors.push(error.message));
    await admin.goto("/login");
    await admin.getByLabel("Email", { exact: true }).fill(adminEmail);
    await admin.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.waitForURL("**/projects");
    await admin.goto(`/teams/${team.id}/audit`);
    await admin.getByText("team.renamed").waitFor();
    await admin.getByLabel("Every team (administrator)").check();
    await admin.getByRole("columnheader", { name: "Team" }).waitFor();
    await admin.getByRole("cell", { name: "Growth team", exact: true }).first().waitFor();
    expect(await findA11yViolations(admin)).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
