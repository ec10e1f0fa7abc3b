/**
 * The HTTP ceiling: the least any ingest endpoint must do on this machine. Bun.serve reads each POST body, runs
 * JSON.parse on it, and answers 202 with the accepted count; nothing else. Run as its own process (like the real
 * server) so it competes with wrk for the cores exactly as the product does.
 *
 *   bun bench/bare-server.ts <port>
 */
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: bun bench/bare-server.ts <port>");
  process.exit(2);
}

interface Body {
  events?: unknown;
}

Bun.serve({
  port,
  hostname: "127.0.0.1",
  development: false,
  async fetch(request) {
    if (request.method !== "POST") return new Response("ok");
    const body = JSON.parse(await request.text()) as Body;
    const accepted = Array.isArray(body.events) ? body.events.length : 0;
    return new Response(JSON.stringify({ accepted, rejected: [] }), {
      status: 202,
      headers: { "content-type": "application/json" },
    });
  },
});
