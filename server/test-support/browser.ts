/**
 * Headless Chromium for browser tests: Debian's `chromium` (installed by .ci/run) or the binary named by
 * CHROMIUM_PATH (GitHub's runners ship Google Chrome). The flags keep it off the network: this machine's network is
 * closed, and background connections would only fail.
 *
 * Every page reports an ordinary desktop Chrome user agent (DESKTOP_CHROME_USER_AGENT, through Chromium's
 * `--user-agent` switch, which covers navigator.userAgent and every request, beacons included): a headless Chromium
 * says `HeadlessChrome`, which the product's bot filter drops (README "Bots"). A test that wants the headless user
 * agent back opens a context with `userAgent: HEADLESS_CHROME_USER_AGENT`.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { loadTestBrowserSettings } from "./test-environment.ts";

/** A current desktop Chrome on Linux, as a real visitor's browser reports it. */
export const DESKTOP_CHROME_USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** What headless Chromium (puppeteer's and playwright's default) reports when left alone. */
export const HEADLESS_CHROME_USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The browser binary to use, or null when none is installed. */
export function findChromium(): string | null {
  const configured = loadTestBrowserSettings().chromiumPath;
  if (configured) return configured;
  return CANDIDATES.find((candidate) => existsSync(candidate)) ?? null;
}

/** True when browser tests must be skipped: no browser here and not in CI (where a missing browser is a failure). */
export function shouldSkipBrowserTests(): boolean {
  return findChromium() === null && !loadTestBrowserSettings().inCi;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error("No Chromium found: apt-get install -y chromium, or set CHROMIUM_PATH");
  return chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      `--user-agent=${DESKTOP_CHROME_USER_AGENT}`,
    ],
  });
}
