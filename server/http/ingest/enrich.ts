/**
 * Enrichment at the ingest edge: parsed user agent, daily IP hash, and the URL parts breakdowns group by (path, host,
 * referrer host, UTM parameters), so neither the worker nor the analytics queries ever re-parse. Everything here is
 * cached in bounded maps: within a burst the same user agents, IPs and pages come back over and over, and parsing a
 * user agent costs ~40 µs.
 */
import { createHmac } from "node:crypto";
import { UAParser } from "ua-parser-js";

/** A Map that forgets everything when it reaches its size: cheap, bounded, good enough for hot repeated keys. */
export class BoundedCache<V> {
  private map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): V {
    if (this.map.size >= this.max) this.map = new Map();
    this.map.set(key, value);
    return value;
  }
  clear() {
    this.map = new Map();
  }
}

export interface UserAgentParts {
  browser: string | null;
  os: string | null;
  /** desktop, mobile, tablet, ... (ua-parser-js leaves desktop unnamed; we call it desktop). */
  device: string | null;
}

const userAgents = new BoundedCache<UserAgentParts>(5_000);
const NO_USER_AGENT: UserAgentParts = { browser: null, os: null, device: null };

export function parseUserAgent(userAgent: string | null): UserAgentParts {
  if (!userAgent) return NO_USER_AGENT;
  const cached = userAgents.get(userAgent);
  if (cached) return cached;
  const result = UAParser(userAgent);
  const browser = result.browser.name ?? null;
  const os = result.os.name ?? null;
  // Without a device type, a recognised browser or OS means a desktop; a bare `curl/8` stays unknown.
  const device = result.device.type ?? (browser || os ? "desktop" : null);
  return userAgents.set(userAgent, { browser, os, device });
}

const DAY_MS = 86_400_000;

/**
 * HMAC-SHA256 of the client IP under a key derived from SECRET_KEY and the UTC date: the same visitor hashes alike
 * within a day and cannot be followed across days; the raw IP is never stored or logged.
 *
 * Privacy of the cache: to skip an HMAC per request, the hashes of recently seen IPs are kept in memory keyed by
 * the raw IP. That map is bounded (it is emptied when full), dropped as soon as the UTC day (and so the key)
 * changes, and never written anywhere: it lives in this process only, no longer than the day the hashes belong to.
 */
export class IpHasher {
  /** The UTC day number (ms since the epoch / 24 h) the key and cache belong to. */
  private day = Number.NaN;
  private dayKey: Buffer = Buffer.alloc(0);
  private readonly hashes = new BoundedCache<string>(10_000);

  constructor(private readonly secretKey: string) {}

  hash(ip: string, nowMs: number): string {
    // Comparing day numbers, not date strings: toISOString per request cost more than the cached lookup itself.
    const day = Math.floor(nowMs / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
      this.dayKey = createHmac("sha256", this.secretKey).update(`ip-hash:${date}`).digest();
      this.hashes.clear();
    }
    const cached = this.hashes.get(ip);
    if (cached) return cached;
    return this.hashes.set(ip, createHmac("sha256", this.dayKey).update(ip).digest("hex"));
  }
}

export interface PageUrlParts {
  path: string | null;
  host: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
}

const NO_PAGE_URL: PageUrlParts = { path: null, host: null, utmSource: null, utmMedium: null, utmCampaign: null };
const pageUrls = new BoundedCache<PageUrlParts>(10_000);
const referrerHosts = new BoundedCache<string | null>(10_000);

/** Path, host and UTM parameters of a page URL; all null when it is not an absolute URL. */
export function parsePageUrl(pageUrl: string | null): PageUrlParts {
  if (!pageUrl) return NO_PAGE_URL;
  const cached = pageUrls.get(pageUrl);
  if (cached) return cached;
  const url = URL.parse(pageUrl);
  if (!url) return pageUrls.set(pageUrl, NO_PAGE_URL);
  let utmSource: string | null = null;
  let utmMedium: string | null = null;
  let utmCampaign: string | null = null;
  if (url.search.includes("utm_")) {
    utmSource = url.searchParams.get("utm_source");
    utmMedium = url.searchParams.get("utm_medium");
    utmCampaign = url.searchParams.get("utm_campaign");
  }
  return pageUrls.set(pageUrl, {
    path: url.pathname || "/",
    host: url.hostname || null,
    utmSource,
    utmMedium,
    utmCampaign,
  });
}

/** The referrer's host, or null when there is no absolute referrer URL. */
export function parseReferrerHost(referrer: string | null): string | null {
  if (!referrer) return null;
  const cached = referrerHosts.get(referrer);
  if (cached !== undefined) return cached;
  return referrerHosts.set(referrer, URL.parse(referrer)?.hostname || null);
}
