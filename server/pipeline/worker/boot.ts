/**
 * How the worker is started (main.ts picks one):
 *   - `bun run worker`: this process is the worker; with Redis it takes a restart-stable consumer name.
 *   - `bun start` without REDIS_URL: the stream lives in this process, so the worker runs in it too, and on shutdown
 *     drains what is queued before the database closes.
 *   - `bun start` with REDIS_URL: the worker runs as a child process (`bun server/main.ts worker`) so API and worker
 *     do not share an event loop; it is restarted with capped backoff if it dies, and stopped with SIGTERM.
 */
import path from "node:path";
import { type EngineMaintenanceOptions, startEngineMaintenance } from "../../analytics/engine/engine-maintenance.ts";
import type { Logger } from "../../logger.ts";
import type { Services } from "../../services.ts";
import { claimConsumerName } from "./consumer-name.ts";
import { startWorkerLoop } from "./worker-loop.ts";

export interface StoppableWorker {
  stop(): Promise<void>;
}

/**
 * Boots the worker in this process: takes a consumer name, then starts the loop (worker-loop.ts) under it, and the
 * query engine's maintenance (upgrade backfill, new-dimension backfill, compaction) beside it, in the background.
 */
export async function bootWorker(
  services: Services,
  options: { consumer?: string; maintenance?: EngineMaintenanceOptions } = {},
): Promise<StoppableWorker> {
  const embeddedStream = !services.config.REDIS_URL;
  const slot = options.consumer
    ? { name: options.consumer, release: async () => {} }
    : embeddedStream
      ? { name: "embedded", release: async () => {} }
      : await claimConsumerName(services.kv, services.logger);
  const worker = startWorkerLoop(
    {
      db: services.db,
      stream: services.stream,
      pubsub: services.pubsub,
      logger: services.logger,
      storedEvents: services.metrics.storedEvents,
      suppressedEvents: services.metrics.suppressedEvents,
    },
    {
      consumer: slot.name,
      batchSize: services.config.WORKER_BATCH_SIZE,
      // One pool connection stays free for everything else (the direct-write fallback, readiness checks). PGlite is
      // one connection in this process: transactions there run one at a time anyway.
      concurrency: services.database.kind === "pglite" ? 1 : Math.max(1, Math.min(3, services.config.DB_POOL_SIZE - 1)),
      drainOnStop: embeddedStream,
    },
  );
  const maintenance = startEngineMaintenance(
    { db: services.db, logger: services.logger },
    { embedded: services.database.kind === "pglite", ...options.maintenance },
  );
  return {
    stop: async () => {
      await maintenance.stop();
      await worker.stop();
      await slot
        .release()
        .catch((error) => services.logger.warn("cannot release the worker's consumer slot", { error }));
    },
  };
}

const MAIN = path.resolve(import.meta.dirname, "../../main.ts");

/** Runs `bun server/main.ts worker` as a supervised child process with this process's environment. */
export function spawnWorkerProcess(logger: Logger): StoppableWorker {
  let child: ReturnType<typeof Bun.spawn> | null = null;
  let stopping = false;
  let restarts = 0;
  let restartTimer: ReturnType<typeof setTimeout> | null = null;

  const launch = () => {
    const startedAt = Date.now();
    const proc = Bun.spawn([process.execPath, MAIN, "worker"], {
      stdout: "inherit",
      stderr: "inherit",
      stdin: "ignore",
    });
    child = proc;
    logger.info("worker process started", { pid: proc.pid });
    void proc.exited.then((code) => {
      if (stopping) return;
      // A worker that ran for a while before dying starts over at the shortest delay.
      if (Date.now() - startedAt > 60_000) restarts = 0;
      const delay = Math.min(30_000, 500 * 2 ** restarts++);
      logger.error("the worker process exited; restarting it", { code, inMs: delay });
      restartTimer = setTimeout(launch, delay);
    });
  };
  launch();

  return {
    stop: async () => {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
