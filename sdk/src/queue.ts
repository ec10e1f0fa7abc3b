/**
 * The unsent queue. Events stay in it (and in sessionStorage) until the server has answered for them, so a
 * reload, a failed request or a cancelled fetch never loses one; the server's insert_id dedupe makes the rare
 * double send (a beacon racing an in-flight fetch) harmless.
 */

/** Most events kept; beyond it the oldest go, so a dead endpoint cannot fill sessionStorage. */
export const MAX_QUEUE = 500;
/** The server takes at most 100 events per request. */
export const MAX_BATCH = 100;
/** Under the 64 KiB that Chromium and Firefox allow in flight for sendBeacon/keepalive, leaving room for the envelope. */
export const MAX_BATCH_BYTES = 6e4;

/** The queue with `event` appended, keeping the newest `max`. */
export const enqueue = <T>(queue: T[], event: T, max: number): T[] => queue.concat(event).slice(-max);

/**
 * Splits `events` in order into batches of at most `maxCount` events and `maxBytes` (by `size`); an event larger
 * than `maxBytes` travels alone, so nothing is ever stuck behind it.
 */
export const chunk = <T>(events: T[], maxCount: number, maxBytes: number, size: (event: T) => number): T[][] => {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  events.forEach((event) => {
    const n = size(event);
    if (batch.length == maxCount || (batch.length && bytes + n > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += n;
  });
  if (batch.length) batches.push(batch);
  return batches;
};
