/**
 * When to send again. Only a network error (no status), 429 or a 5xx is worth retrying; any other 4xx means the
 * batch itself is wrong and resending it would fail the same way. Delays grow exponentially with full jitter on the
 * upper half (so a fleet of tabs does not retry in lockstep) and never undercut the server's Retry-After.
 */

/** The most attempts a batch gets before it is dropped, so a broken endpoint cannot keep a page busy forever. */
export const MAX_ATTEMPTS = 10;

export const isRetryable = (status?: number): boolean => !status || status == 429 || status >= 500;

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date; 0 when absent or unparsable. */
export const retryAfterMs = (header: string | null | undefined, now: number): number =>
  header ? +header * 1e3 || Date.parse(header) - now || 0 : 0;

/** Delay before attempt `attempt + 1` (attempt >= 1): 0.5 s doubling, capped at 30 s, times 0.5-1 by `random`. */
export const backoffDelay = (
  attempt: number,
  retryAfter: string | null | undefined,
  random: number,
  now: number,
): number => Math.max(Math.min(250 * 2 ** attempt, 3e4) * (0.5 + random / 2), retryAfterMs(retryAfter, now));
