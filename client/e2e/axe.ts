/**
 * Accessibility checks with axe-core inside the page. The source is evaluated through the DevTools protocol, which
 * the page's CSP (script-src 'self') does not apply to, so the app runs under its real policy.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const require = createRequire(import.meta.url);
let axeSource: string | null = null;

export type AxeViolation = { id: string; impact: string | null; help: string; targets: string[] };

/**
 * Serious and critical WCAG 2 A/AA violations on the current page (an empty list when it passes). Running CSS
 * transitions (the finite ones) are awaited first: right after a switch to dark mode the buttons' `transition-colors` is mid-way, and
 * on a loaded machine axe would measure the contrast of a colour between the two themes.
 */
export async function findA11yViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  // Only the ones that end: a pulsing "live" dot or a spinner runs forever.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => Number.isFinite(Number(animation.effect?.getComputedTiming().endTime)))
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    type AxeResult = {
      violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
    };
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResult> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => String(n.target[0])),
      }));
  });
}
