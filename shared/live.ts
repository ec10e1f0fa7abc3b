/**
 * The live-feed WebSocket's close codes the dashboard acts on (sent by server/http/live/live-access-guard.ts, read by
 * client/src/lib/live-feed.ts). A contract: add, never renumber. Codes in 4000-4999 are the application's own
 * (RFC 6455 §7.4.2); the last three digits echo the HTTP status they stand for.
 */
export const LIVE_CLOSE_CODES = {
  /** The login ended (logout, password changed, account disabled or deleted): sign in again. */
  loginEnded: 4401,
  /** The login is fine but this project is no longer accessible (deleted, or access taken away). */
  projectAccessEnded: 4403,
} as const;

/** The live feed opens with this many stored events: those with the latest `timestamp` up to now, newest first. */
export const LIVE_BACKFILL_EVENTS = 50;

/** The most events the dashboard's live feed keeps (newest by `timestamp` first). */
export const LIVE_MAX_EVENTS = 100;

/** `analytics.realtime`: a session is current when it has an event with a `timestamp` in the last this many ms. */
export const REALTIME_WINDOW_MS = 5 * 60_000;
