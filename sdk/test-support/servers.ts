/**
 * Servers for the SDK's browser tests. The customer's page and the analytics API always run on different origins
 * (http://localhost:<a> and http://127.0.0.1:<b>), as on a real site, so CORS, beacons and cookies behave as in
 * production.
 */
import path from "node:path";
import { Hono } from "hono";
import { sdkAssetRoutes } from "../../server/http/static/sdk-assets.ts";

const DEMO_DIR = path.resolve(import.meta.dirname, "..", "..", "demo");

export interface TestServer {
  origin: string;
  stop(): Promise<void>;
}

function serve(app: Hono, host: string): TestServer {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch, development: false });
  return { origin: `http://${host}:${server.port}`, stop: () => server.stop(true) };
}

/**
 * The customer's site: the demo page (/demo, /demo/*), a page without the SDK to leave to (/elsewhere), and pages
 * that load the SDK in other ways (/no-project, /twice, /local with data-persist="local", /module). No CSP here, unlike the analytics server.
 */
export function startPageServer(apiOrigin: () => string): TestServer {
  const app = new Hono();
  app.route("/", sdkAssetRoutes({ demoDir: DEMO_DIR, distDir: path.join(DEMO_DIR, "missing") }));
  // Chromium asks every origin for a favicon; a 404 would show up as a console error.
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/elsewhere", (c) => c.html("<!doctype html><title>elsewhere</title><p>no tracker here</p>"));
  app.get("/no-project", (c) =>
    c.html(`<!doctype html><title>no project</title><script src="${apiOrigin()}/static/sdk/sdk.min.js"></script>`),
  );
  app.get("/twice", (c) => {
    const tag = `<script src="${apiOrigin()}/static/sdk/sdk.min.js" data-project="${c.req.query("project")}"></script>`;
    return c.html(`<!doctype html><title>twice</title>${tag}${tag}`);
  });
  app.get("/local", (c) =>
    c.html(
      `<!doctype html><title>local</title><script src="${apiOrigin()}/static/sdk/sdk.min.js" data-project="${c.req.query("project")}" data-persist="local"></script>`,
    ),
  );
  app.get("/module", (c) =>
    c.html(
      `<!doctype html><title>module</title><script type="module">
        import { init } from "${apiOrigin()}/static/sdk/sdk.mjs";
        const params = new URLSearchParams(location.search);
        window.tracker = init({ project: params.get("project"), apiUrl: "${apiOrigin()}" });
      </script>`,
    ),
  );
  return serve(app, "localhost");
}

/** The analytics API side for the fake ingest: the real SDK asset routes plus `ingest` at the ingest path. */
export function startApiServer(distDir: string, ingest: (req: Request) => Promise<Response>): TestServer {
  const app = new Hono();
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.route("/", sdkAssetRoutes({ distDir }));
  app.all("/api/v1/events/ingest", (c) => ingest(c.req.raw));
  return serve(app, "127.0.0.1");
}
