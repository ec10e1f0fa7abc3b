/**
 * The API docs page at /api/v1/docs: Swagger UI (`swagger-ui-dist`), with "Try it out" and "Authorize" from the
 * document's security schemes. Everything comes from this server, because the product is self-hosted and may have
 * no way out: the bundle and stylesheet are served from node_modules, never a CDN. The app's CSP allows only
 * same-origin scripts and no inline code, so the start-up call lives in its own small script instead of the inline
 * one Swagger UI's example page (and the Hono wrappers, @hono/swagger-ui and @scalar/hono-api-reference) use.
 * The validator badge is off: it would load an image from the Swagger validator's host.
 */
import path from "node:path";
import { Hono } from "hono";

const distDir = path.dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));

/** The files of swagger-ui-dist the page loads, by the name they are served under /api/v1/docs/. */
const ASSETS = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
} as const;

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · analytics-dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/api/v1/docs/swagger-ui.css">
<script src="/api/v1/docs/swagger-ui-bundle.js" defer></script>
<script src="/api/v1/docs/docs.js" defer></script>
</head>
<body>
<div id="swagger-ui"></div>
</body>
</html>
`;

const DOCS_SCRIPT = `"use strict";
window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: "none",
});
`;

/** The page, its start-up script and the Swagger UI files, to mount next to openapi.json. */
export function docsPageRoutes() {
  const routes = new Hono()
    .get("/docs", (c) => c.html(DOCS_HTML))
    .get("/docs/docs.js", (c) => c.body(DOCS_SCRIPT, 200, { "content-type": "text/javascript; charset=utf-8" }));
  for (const [name, contentType] of Object.entries(ASSETS)) {
    routes.get(
      `/docs/${name}`,
      () => new Response(Bun.file(path.join(distDir, name)), { headers: { "content-type": contentType } }),
    );
  }
  return routes;
}
