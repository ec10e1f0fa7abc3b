/**
 * One refresh across the dashboard's tabs. Tabs share the cookie jar, so when several wake up with an expired access
 * token only one needs to call auth.refresh: the others can use the cookies it set. The Web Locks API elects it: the
 * tab that gets the lock refreshes; a tab that finds the lock taken waits until it is released and then trusts the
 * shared cookies, without presenting the (now rotated) refresh token again. A refresh of the new token by a tab that
 * arrives later is an ordinary rotation.
 *
 * Without Web Locks (old browsers), or when the tab holding the lock takes too long, a tab refreshes by itself: the
 * server answers the same refresh token presented twice within its reuse grace with the same new pair, so tabs
 * that cross still stay signed in.
 */

export const REFRESH_LOCK_NAME = "analytics-dashboard:auth-refresh";
/** How long a tab waits for another tab's refresh before refreshing by itself. */
export const REFRESH_WAIT_MS = 10_000;

export type RefreshLocks = Pick<LockManager, "request">;

/** Runs `refresh` in at most one tab at a time; true when this tab may replay its calls with the shared cookies. */
export async function refreshAcrossTabs(
  refresh: () => Promise<boolean>,
  locks: RefreshLocks | undefined,
  { waitMs = REFRESH_WAIT_MS }: { waitMs?: number } = {},
): Promise<boolean> {
  if (!locks) return refresh();
  const outcome = await locks.request(REFRESH_LOCK_NAME, { ifAvailable: true }, async (lock) =>
    lock ? { refreshed: await refresh() } : null,
  );
  if (outcome) return outcome.refreshed;
  try {
    await locks.request(REFRESH_LOCK_NAME, { signal: AbortSignal.timeout(waitMs) }, async () => {});
  } catch (error) {
    // Only the timeout is expected here; the server's reuse grace makes refreshing by ourselves safe.
    if (!(error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError"))) throw error;
    return refresh();
  }
  return true;
}
