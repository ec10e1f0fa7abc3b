import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/**
 * The client's IP: the socket's address, or with TRUST_PROXY the right-most address a proxy appended to
 * X-Forwarded-For (left-most entries are whatever the client chose to send), else X-Real-IP. Never stored: only
 * hashed or used as a rate-limit key. The rule is proxiedClientIp's; getClientIp applies it to a Hono context, and
 * the native ingest route (server/http/routes/ingest.ts) to a bare Request.
 */
export function getClientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const proxied = proxiedClientIp(c.req.raw.headers);
    if (proxied) return proxied;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // app.request() in tests has no socket; every such request shares one bucket.
    return "unknown";
  }
}

/** The address a trusted proxy reports for the client, or null when it reports none (then use the socket's). */
export function proxiedClientIp(headers: Headers): string | null {
  const last = headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
  if (last) return last;
  return headers.get("x-real-ip")?.trim() || null;
}
