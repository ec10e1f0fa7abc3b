/** Small helpers shared by the SDK's browser test files. */
import type { Page } from "playwright-core";

/** Polls until `check` returns a truthy value, or fails naming `what`. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

/** Collects the page's console errors (uncaught exceptions included) and warnings as they happen. */
export function watchConsole(page: Page): { errors: string[]; warnings: string[] } {
  const seen = { errors: [] as string[], warnings: [] as string[] };
  page.on("console", (message) => {
    if (message.type() === "error") seen.errors.push(message.text());
    if (message.type() === "warning") seen.warnings.push(message.text());
  });
  page.on("pageerror", (error) => seen.errors.push(`uncaught: ${error.message}`));
  return seen;
}

/** Waits until the SDK has put its API on window.tracker. */
export async function waitForTracker(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof window.tracker?.event === "function");
}
