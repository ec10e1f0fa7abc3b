/**
 * Serves the built dashboard (client/dist, made by scripts/build-client.ts) at `/`. Mount it LAST: it answers every
 * GET that no other route took.
 *   - /assets/* are content-hashed by Vite: cached for a year, immutable.
 *   - index.html is `no-cache` (revalidated by ETag on every load), so a deploy reaches people at once.
 *   - Deep links (/projects/1/settings) get index.html and the app routes in the browser. Paths under /api and
 *     /static, and paths with a file extension, never fall back: a missing file or API route stays a 404.
 *   - A `.gz` twin written by the build is sent to browsers that accept gzip.
 * Files are resolved inside the dist folder only; `..` and encoded tricks cannot leave it.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Context, Hono, Next } from "hono";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");

const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";
const OTHER_FILES = "public, max-age=3600";

export interface SpaOptions {
  /** The built client; default client/dist of this repository. */
  distDir?: string;
}

/** True for paths that must never be answered with the app shell. */
export function isExcludedFromFallback(requestPath: string): boolean {
  if (requestPath === "/api" || requestPath.startsWith("/api/")) return true;
  if (requestPath === "/static" || requestPath.startsWith("/static/")) return true;
  const lastSegment = requestPath.slice(requestPath.lastIndexOf("/") + 1);
  return lastSegment.includes(".");
}

async function fileInfo(filePath: string) {
  try {
    const info = await stat(filePath);
    return info.isFile() ? info : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR")
      return null;
    throw error;
  }
}

/** Registers the dashboard on `app` (GET and HEAD of every path not taken before it). */
export function registerSpa(app: Hono, { distDir = path.join(repoRoot, "client", "dist") }: SpaOptions = {}) {
  const root = path.resolve(distDir);
  const indexPath = path.join(root, "index.html");

  async function sendFile(c: Context, filePath: string, cacheControl: string) {
    const info = await fileInfo(filePath);
    if (!info) return null;
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const headers: Record<string, string> = { "Cache-Control": cacheControl, ETag: etag, Vary: "Accept-Encoding" };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    const file = Bun.file(filePath);
    headers["Content-Type"] = file.type;
    if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      const gzipped = await fileInfo(`${filePath}.gz`);
      if (gzipped && gzipped.mtimeMs >= info.mtimeMs) {
        headers["Content-Encoding"] = "gzip";
        return c.body(await Bun.file(`${filePath}.gz`).arrayBuffer(), 200, headers);
      }
    }
    return c.body(await file.arrayBuffer(), 200, headers);
  }

  async function serve(c: Context, next: Next) {
    const requestPath = c.req.path;
    let decoded: string;
    try {
      decoded = decodeURIComponent(requestPath);
    } catch {
      // Malformed percent-encoding cannot name one of our files.
      return next();
    }
    if (decoded.includes("\0")) return next();
    if (isExcludedFromFallback(decoded)) {
      if (decoded.startsWith("/api") || decoded.startsWith("/static")) return next();
      const filePath = path.resolve(root, `.${path.posix.normalize(decoded)}`);
      if (!filePath.startsWith(root + path.sep)) return next();
      const cacheControl = decoded.startsWith("/assets/")
        ? IMMUTABLE
        : decoded === "/index.html"
          ? REVALIDATE
          : OTHER_FILES;
      return (await sendFile(c, filePath, cacheControl)) ?? next();
    }
    const response = await sendFile(c, indexPath, REVALIDATE);
    if (response) return response;
    return c.text("The dashboard has not been built yet. Run `bun run build`, then reload.", 503, {
      "Retry-After": "30",
    });
  }

  app.get("*", serve);
}
