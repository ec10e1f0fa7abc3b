/**
 * REST errors: every non-tRPC route fails by throwing `apiError(...)` and `renderError` (the app's one onError)
 * writes `{ "error": { "code", "message" } }`. Anything that is not an HTTPException is our bug: logged with context
 * and the request's id, answered with a generic 500 that leaks nothing but that id (`error.requestId`, also in the
 * X-Request-Id header).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "../../logger.ts";
import { redactSecretPaths } from "../routes/share-page.ts";

const DEFAULT_CODES: Partial<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  500: "internal_error",
  503: "unavailable",
};

/** An HTTPException whose response is the REST error shape; `headers` adds e.g. Retry-After. */
export function apiError(
  status: ContentfulStatusCode,
  message: string,
  options: { code?: string; headers?: Record<string, string> } = {},
): HTTPException {
  const code = options.code ?? DEFAULT_CODES[status] ?? "error";
  const res = new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...options.headers },
  });
  return new HTTPException(status, { message, res });
}

/** The app's onError: REST shape for everything, a generic 500 for bugs. */
export function renderError(logger: Logger) {
  return (error: Error, c: Context): Response => {
    if (error instanceof HTTPException) {
      const res = error.getResponse();
      if (res.headers.get("content-type")?.includes("application/json")) return res;
      // Hono's own exceptions (e.g. bodyLimit) carry plain text: reshape them.
      const status = error.status as ContentfulStatusCode;
      return c.json(
        { error: { code: DEFAULT_CODES[status] ?? "error", message: error.message || res.statusText } },
        status,
      );
    }
    const requestId = c.get("requestId");
    logger.error("unhandled error", { requestId, error, method: c.req.method, path: redactSecretPaths(c.req.path) });
    return c.json({ error: { code: "internal_error", message: INTERNAL_MESSAGE, requestId } }, 500);
  };
}

const INTERNAL_MESSAGE = "Something went wrong on our side.";

/**
 * Bun.serve's `error` hook, for what a native route (the ingest hot path, which bypasses the app) throws: the same
 * generic 500 as renderError, with a request id of its own in the body, the X-Request-Id header and the log line.
 */
export function renderNativeError(logger: Logger) {
  return (error: Error): Response => {
    const requestId = crypto.randomUUID();
    logger.error("unhandled error in a native route", { requestId, error });
    return Response.json(
      { error: { code: "internal_error", message: INTERNAL_MESSAGE, requestId } },
      { status: 500, headers: { "X-Request-Id": requestId } },
    );
  };
}
