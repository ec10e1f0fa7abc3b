/**
 * `GET /share/<token>`: the share page. The server checks the token before the dashboard's page is served: an
 * unknown, expired or revoked token answers 404 (one answer for all three, so tokens cannot be probed), and the
 * page never loads for it. A live token gets the SPA, which opens the share through shares.open. The answer is
 * never cached (a revoked link must 404 on the next load) and sends no Referer, so the token in the URL does not
 * travel on. Tokens never reach a log line: error logs print paths through redactSecretPaths.
 */
import { createMiddleware } from "hono/factory";
import { SHARE_PATH_PREFIX } from "../../../shared/sharing.ts";
import { hashSecret } from "../../auth/share-secrets.ts";
import { findLiveShare } from "../../queries/sharing/find-live-share.ts";
import type { Services } from "../../services.ts";

const NOT_FOUND_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Share link not found</title></head>
<body><h1>Share link not found</h1><p>This share link does not exist, has expired or was revoked.</p></body></html>
`;

/** `/share/<anything>` with its secret part replaced, for log lines. */
export function redactSecretPaths(path: string): string {
  return path.startsWith(SHARE_PATH_PREFIX) ? `${SHARE_PATH_PREFIX}[redacted]` : path;
}

/** Mounted on `/share/:token` before the SPA. */
export function sharePageGuard(services: Services) {
  return createMiddleware(async function sharePageGuard(c, next) {
    const token = c.req.param("token") ?? "";
    const share = token.length <= 200 ? await findLiveShare(services.db, { tokenHash: hashSecret(token) }) : null;
    const headers = { "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" };
    if (!share) return c.html(NOT_FOUND_HTML, 404, headers);
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    c.res.headers.delete("ETag");
  });
}
