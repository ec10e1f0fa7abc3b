/**
 * Who may read /api/v1/metrics (stream sizes, throughput: nothing per user, but nothing the internet needs either).
 *
 * The rule:
 * - With METRICS_TOKEN set, every request must carry `Authorization: Bearer <METRICS_TOKEN>`, from anywhere
 *   (401 otherwise). This is the setting for a Prometheus on another host.
 * - Without it, only a client on this host may read it: the raw socket address is loopback (127.0.0.0/8, ::1, or
 *   IPv4-mapped loopback) AND the request carries no X-Forwarded-For, X-Real-IP or Forwarded header (403
 *   otherwise). The socket address, never the forwarded one, even with TRUST_PROXY: a forwarded address is what a
 *   proxy says about someone else. And a reverse proxy on the same host reaches us from loopback on behalf of the
 *   whole internet, so a forwarded request is not a local client. (A proxy that adds none of those headers looks
 *   local: behind one, set METRICS_TOKEN or do not route this path.)
 */
import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";
import { createMiddleware } from "hono/factory";
import { apiError } from "./errors.ts";

const FORWARDING_HEADERS = ["x-forwarded-for", "x-real-ip", "forwarded"];

/** True for loopback addresses in any of the spellings a socket reports. */
export function isLoopbackAddress(address: string): boolean {
  const ip = address.toLowerCase().replace(/^::ffff:/, "");
  if (ip === "::1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

function socketAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    // No socket (app.request() in tests): not a local client.
    return null;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function metricsAccess({ token }: { token?: string }) {
  return createMiddleware(async function metricsAccess(c, next) {
    if (token) {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      if (!match || !sameSecret(match[1]!, token)) {
        throw apiError(401, "Metrics need Authorization: Bearer <METRICS_TOKEN>.", {
          headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
        });
      }
    } else {
      const address = socketAddress(c);
      const forwarded = FORWARDING_HEADERS.some((name) => c.req.header(name) !== undefined);
      if (!address || !isLoopbackAddress(address) || forwarded) {
        throw apiError(
          403,
          "Metrics are served to clients on this host only; set METRICS_TOKEN to read them from elsewhere.",
        );
      }
    }
    await next();
  });
}
