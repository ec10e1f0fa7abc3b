/** The ready-to-paste tracking snippet and the first-event example, for the origin that serves this dashboard. */

export function trackingSnippet(apiKey: string, origin: string = location.origin): string {
  return `<script defer src="${origin}/static/sdk/sdk.min.js" data-project="${apiKey}" data-api-url="${origin}"></script>`;
}

/** A first event from a terminal, to check the key and see the live feed move before installing anything. */
export function curlExample(apiKey: string, origin: string = location.origin): string {
  return [
    `curl -X POST ${origin}/api/v1/events/ingest \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "X-API-Key: ${apiKey}" \\`,
    `  -d '{"events":[{"event":"hello_world","properties":{"source":"curl"}}]}'`,
  ].join("\n");
}

/** What the snippet shows when the full key is not known any more (only its prefix is stored). */
export const KEY_PLACEHOLDER = "YOUR_API_KEY";
