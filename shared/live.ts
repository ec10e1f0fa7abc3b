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
