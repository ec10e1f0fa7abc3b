/**
 * A stand-in for `navigator.locks` (happy-dom and Bun have none) with the Web Locks semantics the dashboard uses:
 * exclusive locks granted in request order, `ifAvailable` (the callback gets null when the lock is taken) and
 * `signal` (a waiting request is dropped and rejects with the signal's reason). One instance plays the lock manager
 * that the tabs of an origin share.
 */
import type { RefreshLocks } from "../src/lib/refresh-across-tabs.ts";

/** A lock manager with one queue per name, as the browser keeps for the tabs of an origin. */
export function fakeLocks(): RefreshLocks {
  const queues = new Map<string, Array<() => void>>();
  const held = new Set<string>();
  const release = (name: string) => {
    const next = queues.get(name)?.shift();
    if (next) next();
    else held.delete(name);
  };
  const request = async (name: string, ...args: unknown[]) => {
    const callback = args.at(-1) as (lock: Lock | null) => Promise<unknown>;
    const options = (args.length > 1 ? args[0] : {}) as LockOptions;
    if (held.has(name)) {
      if (options.ifAvailable) return callback(null);
      await new Promise<void>((resolve, reject) => {
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        const entry = () => resolve();
        queue.push(entry);
        options.signal?.addEventListener("abort", () => {
          queue.splice(queue.indexOf(entry), 1);
          reject(options.signal!.reason);
        });
      });
    } else {
      held.add(name);
    }
    try {
      return await callback({ name, mode: "exclusive" } as Lock);
    } finally {
      release(name);
    }
  };
  return { request } as RefreshLocks;
}
