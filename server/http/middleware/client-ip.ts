import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/**
 * The client's IP: the socket's address, or with TRUST_PROXY the right-most address a proxy appended to
 * X-Forwarded-For (left-most entries are whatever the client chose to send). Never stored: only hashed or used as a
 * rate-limit key.
 */
export function getClientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for");
    const last = forwarded?.split(",").at(-1)?.trim();
    if (last) return last;
    const realIp = c.req.header("x-real-ip")?.trim();
    if (realIp) return realIp;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // app.request() in tests has no socket; every such request shares one bucket.
    return "unknown";
  }
}
