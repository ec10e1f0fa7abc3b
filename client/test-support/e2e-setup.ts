/**
 * The start every browser test shares (client/e2e): sign up through the register page, then create a project with
 * the new account's cookies, as a user would. Seeding events stays in each test (each needs its own journeys).
 */
import type { Page } from "playwright-core";

export const E2E_PASSWORD = "Correct-Horse-42!";

/** Registers `email` (a fresh one by default) on `page` and creates `projectName`; answers its id and ingest key. */
export async function signUpWithProject(
  page: Page,
  options: { projectName: string; fullName?: string; email?: string; password?: string },
): Promise<{ projectId: string; apiKey: string; email: string }> {
  const email = options.email ?? `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await page.goto("/register");
  await page.getByLabel("Full name").fill(options.fullName ?? "Ada Lovelace");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(options.password ?? E2E_PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/projects");
  const created = await page.evaluate(async (name) => {
    const res = await fetch("/api/trpc/projects.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    if (!res.ok) throw new Error(`projects.create answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { result: { data: { project: { id: string }; apiKey: string } } }).result.data;
  }, options.projectName);
  return { projectId: created.project.id, apiKey: created.apiKey, email };
}
