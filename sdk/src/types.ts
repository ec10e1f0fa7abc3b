/**
 * The SDK's public types: the options of `init` and the API it returns (the same on `window.tracker`). They have a
 * file of their own so that the tracker and both entries (index.ts, snippet.ts) import them without importing each
 * other; `scripts/build-sdk.ts` inlines this file into the generated `index.d.ts`, so it must stay declarations only,
 * importing nothing.
 */

/** Event properties: any JSON-serialisable values. */
export type Properties = Record<string, unknown>;

export interface TrackerOptions {
  /** The project's API key (`proj_...`), sent in the body so beacons need no custom header. */
  project: string;
  /** Origin of the analytics server, e.g. `https://analytics.example.com`. */
  apiUrl: string;
  /** Also count `#/route` changes as page views (and include the hash in `path`). */
  hashRouting?: boolean;
  /** Send nothing while the browser signals Do Not Track or Global Privacy Control, unless `optIn()` is called. */
  respectDnt?: boolean;
  /** Record nothing until `optIn()` is called (the choice is remembered in localStorage). */
  requireConsent?: boolean;
  /**
   * `"local"`: keep a random anonymous id in localStorage and send it as the distinct id, so a visitor stays one
   * across tabs and days (for sites with consent). By default nothing is stored and the server counts anonymous
   * visitors under a daily visitor id.
   */
  persist?: "local";
}

export interface Tracker {
  /** Records a custom event. */
  event(name: string, properties?: Properties): void;
  /**
   * Sets the distinct id for this tab (kept across reloads) and records an `$identify` event, which links the
   * anonymous visitor so far to this id: one person in every count.
   */
  identify(distinctId: string, properties?: Properties): void;
  /** Forgets the distinct id, the session and registered properties (with persist "local", makes a new anonymous id). */
  reset(): void;
  /** Sends queued events now; resolves when this request has been answered. */
  flush(): Promise<void>;
  /** Stops recording and sending, drops the queue, and remembers the choice in localStorage. */
  optOut(): void;
  /** Allows recording (consent given) and remembers it; records the current page view if it was not yet. */
  optIn(): void;
  /** Adds properties to every later event in this tab. */
  register(properties: Properties): void;
}
