/**
 * Which events the bot filter drops: those whose request came from a browser-like user agent (one that starts with
 * `Mozilla/` or `Opera/`, as every browser's and every JavaScript-running crawler's does) that the `isbot` package's
 * list (pinned) recognises as a bot, crawler or headless browser: Googlebot, bingbot, AhrefsBot, HeadlessChrome
 * (puppeteer's and playwright's default), PhantomJS, ...
 *
 * Why only browser-like ones: isbot also lists every HTTP library (`curl/8`, `python-requests/2`, `axios`,
 * `Go-http-client`, `okhttp`, `Java/17`, ...), and those are how backends post their server-side events to the REST
 * endpoint: dropping them would drop real data. A crawler that does not run JavaScript never loads the SDK, so it
 * sends no events at all; one that does runs a browser engine and says so. Requests without a user agent are kept
 * too. The tests (bot-user-agent.test.ts) hold both sides: real crawler user agents are bots, the major browsers'
 * and the backend libraries' are not.
 */
import { isbot } from "isbot";
import { BoundedCache } from "../../http/ingest/enrich.ts";

const BROWSER_LIKE = /^(?:mozilla|opera)\//i;

// isbot runs one large regular expression; a burst brings the same few user agents over and over.
const verdicts = new BoundedCache<boolean>(5_000);

/** True when an event sent with this user agent is a bot's, to be dropped by a project that filters bots. */
export function isBotUserAgent(userAgent: string | null): boolean {
  if (!userAgent || !BROWSER_LIKE.test(userAgent)) return false;
  const cached = verdicts.get(userAgent);
  if (cached !== undefined) return cached;
  return verdicts.set(userAgent, isbot(userAgent));
}
