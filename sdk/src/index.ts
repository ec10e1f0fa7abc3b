/**
 * The SDK as an ES module, for apps that bundle it: `import { init } from "<host>/static/sdk/sdk.mjs"` (or the
 * `sdk` package folder). It returns the same API the script tag puts on `window.tracker`. Its public types live in
 * types.ts, inlined into the generated `index.d.ts` so that it stands alone; nothing in this file may import runtime
 * code from `shared/` or `server/`.
 */
import { createTracker } from "./tracker.ts";
import type { Tracker, TrackerOptions } from "./types.ts";

export type { Properties, Tracker, TrackerOptions } from "./types.ts";

/** Starts tracking with `options` (an automatic page view now and on every navigation) and returns the API. */
export const init = (options: TrackerOptions): Tracker => createTracker(options);
