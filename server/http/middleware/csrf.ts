/**
 * CSRF protection for the cookie-authenticated tRPC API. Browsers let any site POST urlencoded, multipart or
 * text/plain bodies without a preflight, carrying our cookies; they do not let it send application/json without
 * a preflight that our CORS allowlist refuses. So every POST must be JSON and, when the browser names its Origin,
 * come from the dashboard's own origin or an allowed one.
 */
import { createMiddleware } from "hono/factory";
import { apiError } from "./errors.ts";

/** True when `origin` is this server's own origin (as the request reached it or PUBLIC_URL) or in the allowlist. */
export function isAllowedOrigin(origin: string, requestUrl: string, allowed: readonly string[], publicUrl?: string) {
  if (allowed.includes(origin)) return true;
  if (publicUrl && new URL(publicUrl).origin === origin) return true;
  return new URL(requestUrl).origin === origin;
}

export function csrfProtection({
  allowedOrigins,
  publicUrl,
}: {
  allowedOrigins: readonly string[];
  publicUrl?: string;
}) {
  return createMiddleware(async function csrfProtection(c, next) {
    if (c.req.method === "POST") {
      const contentType = c.req.header("content-type") ?? "";
      if (!/^application\/json\b/i.test(contentType)) {
        throw apiError(415, "This API accepts application/json bodies only.");
      }
      const origin = c.req.header("origin");
      if (origin && !isAllowedOrigin(origin, c.req.url, allowedOrigins, publicUrl)) {
        throw apiError(403, "Requests from this origin are not allowed.", { code: "forbidden_origin" });
      }
    }
    await next();
  });
}
