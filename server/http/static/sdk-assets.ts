/**
 * Serves the browser SDK built by scripts/build-sdk.ts (sdk/dist) and the SDK demo page (demo/).
 *
 * Mount with `app.route("/", sdkAssetRoutes())`. Routes:
 * - GET /static/sdk/sdk.js, /static/sdk/sdk.min.js, /static/sdk/sdk.mjs, /static/sdk/index.d.ts
 *     stable names for snippets already pasted into sites: cached for a day, then revalidated by ETag in the
 *     background (stale-while-revalidate), so a fixed SDK reaches every site within about a day.
 * - GET /static/sdk/sdk.<hash>.min.js, /static/sdk/sdk.<hash>.js
 *     the versioned path: <hash> is the first 10 hex digits of the SHA-256 of sdk.min.js, so the content never
 *     changes and it is cached for a year, immutable. /static/sdk/manifest.json names the current files and the
 *     Subresource Integrity hash for `<script integrity=... crossorigin="anonymous">`.
 * - GET /demo (and /demo/* for the demo's SPA routes): the demo page; /demo/demo.js its script.
 *
 * Every SDK file answers `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: cross-origin`, because
 * customers' sites on any origin load it (also as a module or with SRI, which need CORS).
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { type Context, Hono } from "hono";
import { apiError } from "../middleware/errors.ts";

const root = path.resolve(import.meta.dirname, "..", "..", "..");

const SDK_FILE = /^(sdk(\.[0-9a-f]{10})?(\.min)?\.js|sdk\.mjs|index\.d\.ts|manifest\.json)$/;
const HASHED_FILE = /^sdk\.[0-9a-f]{10}(\.min)?\.js$/;
const DEMO_FILE = /^(index\.html|demo\.js|demo\.css)$/;

const IMMUTABLE = "public, max-age=31536000, immutable";
const STABLE = "public, max-age=86400, stale-while-revalidate=604800";
const DEMO = "no-cache";

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

interface Cached {
  mtimeMs: number;
  size: number;
  body: ArrayBuffer;
  etag: string;
}

export interface SdkAssetOptions {
  /** Folder of the built SDK; default sdk/dist. */
  distDir?: string;
  /** Folder of the demo page; default demo/. */
  demoDir?: string;
}

/** A Hono app with the SDK and demo routes (absolute paths: mount it at "/"). */
export function sdkAssetRoutes({
  distDir = path.join(root, "sdk", "dist"),
  demoDir = path.join(root, "demo"),
}: SdkAssetOptions = {}) {
  // Small files read once per change (by mtime and size), so a rebuild is picked up without a restart.
  const cache = new Map<string, Cached>();

  async function load(file: string): Promise<Cached | null> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit;
    const body = await Bun.file(file).arrayBuffer();
    const entry = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      body,
      etag: `"${createHash("sha256").update(new Uint8Array(body)).digest("base64url").slice(0, 22)}"`,
    };
    cache.set(file, entry);
    return entry;
  }

  async function send(c: Context, file: string, headers: Record<string, string>, missing: string): Promise<Response> {
    const entry = await load(file);
    if (!entry) throw apiError(404, missing);
    const all = {
      ...headers,
      "Content-Type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream",
      ETag: entry.etag,
    };
    if (c.req.header("if-none-match") === entry.etag) return new Response(null, { status: 304, headers: all });
    return new Response(c.req.method === "HEAD" ? null : entry.body, { status: 200, headers: all });
  }

  const app = new Hono();

  app.on(["GET", "HEAD"], "/static/sdk/:file", (c) => {
    const name = c.req.param("file");
    if (!SDK_FILE.test(name)) throw apiError(404, `No SDK file named ${name}.`);
    return send(
      c,
      path.join(distDir, name),
      {
        "Cache-Control": HASHED_FILE.test(name) ? IMMUTABLE : name === "manifest.json" ? "no-cache" : STABLE,
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
      },
      HASHED_FILE.test(name)
        ? `${name} is not part of the current SDK build; see /static/sdk/manifest.json.`
        : `${name} has not been built: run \`bun run build\`.`,
    );
  });

  const demoPage = (c: Context) =>
    send(c, path.join(demoDir, "index.html"), { "Cache-Control": DEMO }, "The demo page is missing.");
  app.on(["GET", "HEAD"], "/demo", demoPage);
  app.on(["GET", "HEAD"], "/demo/*", (c) => {
    const name = c.req.path.slice("/demo/".length);
    if (DEMO_FILE.test(name))
      return send(c, path.join(demoDir, name), { "Cache-Control": DEMO }, `No demo file named ${name}.`);
    // Any other path is one of the demo's client-side routes (it calls history.pushState), so a reload still works.
    return demoPage(c);
  });

  return app;
}
