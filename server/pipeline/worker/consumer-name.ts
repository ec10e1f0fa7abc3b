/**
 * A consumer name that survives restarts. A restarted worker must find its own pending entries (XREADGROUP from 0)
 * at once instead of waiting 30 s for XAUTOCLAIM, so the name must be the same after a crash, yet two live workers
 * must never share one. Each worker takes the first free slot `<host>:<n>`, held by a key that names its pid and is
 * refreshed every few seconds; a slot held by a pid that no longer runs on this host (a crashed worker) is taken
 * over. In a container the pid is the same after a restart (1), which also counts as ours.
 */
import { hostname } from "node:os";
import type { KeyStore } from "../../infra/key-store.ts";
import type { Logger } from "../../logger.ts";
import { isProcessAlive } from "../../process-alive.ts";

const SLOT_TTL_MS = 15_000;
const HEARTBEAT_MS = 5_000;
const MAX_SLOTS = 64;

export interface ConsumerSlot {
  name: string;
  release(): Promise<void>;
}

/** Takes a slot and keeps it alive until `release`. */
export async function claimConsumerName(kv: KeyStore, logger: Logger): Promise<ConsumerSlot> {
  const host = hostname();
  const me = String(process.pid);
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const key = `worker:slot:${host}:${slot}`;
    let taken = await kv.setIfAbsent(key, me, SLOT_TTL_MS);
    if (!taken) {
      const owner = await kv.get(key);
      const ownerPid = Number(owner);
      if (owner === me || owner === null || !Number.isInteger(ownerPid) || !isProcessAlive(ownerPid)) {
        await kv.set(key, me, SLOT_TTL_MS);
        taken = true;
      }
    }
    if (!taken) continue;
    const timer = setInterval(() => {
      kv.set(key, me, SLOT_TTL_MS).catch((error) =>
        logger.warn("cannot refresh the worker's consumer slot", { error, key }),
      );
    }, HEARTBEAT_MS);
    timer.unref?.();
    return {
      name: `${host}:${slot}`,
      release: async () => {
        clearInterval(timer);
        await kv.del(key);
      },
    };
  }
  throw new Error(`all ${MAX_SLOTS} worker slots on ${host} are in use`);
}
