/**
 * Two dashboard tabs against one fake server: the tabs share a lock manager with the Web Locks semantics the module
 * uses (exclusive, `ifAvailable`, `signal`), as tabs of one origin share `navigator.locks`.
 */
import { describe, expect, it } from "bun:test";
import { fakeLocks } from "../../test-support/fake-locks.ts";
import { refreshAcrossTabs } from "./refresh-across-tabs.ts";

/** The server's refresh: counts calls, answers after `delayMs`. */
function fakeRefresh(delayMs = 30, works = true) {
  const server = { calls: 0 };
  const refresh = () => {
    server.calls += 1;
    return new Promise<boolean>((resolve) => setTimeout(() => resolve(works), delayMs));
  };
  return { server, refresh };
}

describe("refreshAcrossTabs", () => {
  it("refreshes once for two tabs waking up together, and both may replay their calls", async () => {
    const locks = fakeLocks();
    const { server, refresh } = fakeRefresh();
    const results = await Promise.all([refreshAcrossTabs(refresh, locks), refreshAcrossTabs(refresh, locks)]);
    expect(results).toEqual([true, true]);
    expect(server.calls).toBe(1);
  });

  it("lets the tab that refreshed report a failure", async () => {
    const locks = fakeLocks();
    const { server, refresh } = fakeRefresh(30, false);
    expect(await refreshAcrossTabs(refresh, locks)).toBe(false);
    expect(server.calls).toBe(1);
  });

  it("refreshes again in a tab that asks after the other tab's refresh has finished", async () => {
    const locks = fakeLocks();
    const { server, refresh } = fakeRefresh();
    await refreshAcrossTabs(refresh, locks);
    await refreshAcrossTabs(refresh, locks);
    expect(server.calls).toBe(2);
  });

  it("refreshes by itself when the tab holding the lock takes too long", async () => {
    const locks = fakeLocks();
    const stuck = fakeRefresh(5_000);
    const { server, refresh } = fakeRefresh();
    void refreshAcrossTabs(stuck.refresh, locks);
    expect(await refreshAcrossTabs(refresh, locks, { waitMs: 50 })).toBe(true);
    expect(server.calls).toBe(1);
  });

  it("refreshes in every tab without Web Locks (the server's reuse grace covers them)", async () => {
    const { server, refresh } = fakeRefresh();
    expect(await Promise.all([refreshAcrossTabs(refresh, undefined), refreshAcrossTabs(refresh, undefined)])).toEqual([
      true,
      true,
    ]);
    expect(server.calls).toBe(2);
  });
});
