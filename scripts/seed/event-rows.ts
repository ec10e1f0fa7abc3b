/**
 * The seed's events as stored rows, enriched as ingest does it (path, referrer host, UTM from the generator; the
 * browser, OS and device by ingest's own parseUserAgent; a fake IP hash per visitor). Shared by `seed --direct`
 * (PostgreSQL, COPY) and the embedded benchmark (bench/embedded-filtered.ts, PGlite).
 */
import { createHash } from "node:crypto";
import type { EventRow } from "../../server/db/events-columns.ts";
import { parseUserAgent } from "../../server/http/ingest/enrich.ts";
import { type GenerateOptions, generateSeedEvents } from "./generate-events.ts";

const ipHashes = new Map<number, string>();
function fakeIpHash(visitor: number): string {
  let hash = ipHashes.get(visitor);
  if (!hash) {
    hash = createHash("sha256").update(`visitor-${visitor}`).digest("hex");
    if (ipHashes.size < 200_000) ipHashes.set(visitor, hash);
  }
  return hash;
}

export function* generateSeedRows(projectId: string, options: GenerateOptions): Generator<EventRow> {
  for (const event of generateSeedEvents(options)) {
    const agent = parseUserAgent(event.userAgent);
    yield {
      projectId,
      insertId: Bun.randomUUIDv7(undefined, event.timestamp),
      eventName: event.event,
      distinctId: event.distinctId,
      sessionId: event.sessionId,
      properties: event.properties,
      pageUrl: event.pageUrl,
      path: event.path,
      host: "shop.example.com",
      referrer: event.referrer,
      referrerHost: event.referrerHost,
      utmSource: event.utmSource,
      utmMedium: event.utmMedium,
      utmCampaign: event.utmCampaign,
      userAgent: event.userAgent,
      browser: agent.browser,
      os: agent.os,
      device: agent.device,
      ipHash: fakeIpHash(event.visitor),
      country: null,
      timestamp: new Date(event.timestamp),
      receivedAt: new Date(event.timestamp + 150),
    };
  }
}
