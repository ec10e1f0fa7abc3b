/**
 * The command line: `bun server/main.ts <start|server|worker|migrate>` (the package scripts call it).
 *   start    the whole product in one command: API plus worker (in-process without REDIS_URL, as a child process
 *            with it)
 *   server   the API alone, for scaled deployments
 *   worker   the stream consumer alone
 *   migrate  apply pending migrations and exit
 */
import { serveBackupRequests } from "./admin/backup-requests.ts";
import { type Config, ConfigError, isEmbedded, loadConfig } from "./env.ts";
import { startHttpServer } from "./http/serve.ts";
import { createLogger } from "./logger.ts";
import { bootWorker, spawnWorkerProcess } from "./pipeline/worker/boot.ts";
import { createServices } from "./services.ts";

const COMMANDS = ["start", "server", "worker", "migrate"] as const;
type Command = (typeof COMMANDS)[number];

async function main(command: Command) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL, { process: command });
  watchForStrayErrors(logger);

  if (command === "migrate") {
    const services = await createServices(config, { logger, checkRedisDurability: false });
    logger.info("migrations applied");
    await services.close();
    return;
  }

  if (command === "worker" && !config.REDIS_URL) {
    console.error(
      "The worker reads the Redis stream: set REDIS_URL. Without Redis, `bun start` runs the worker in-process.",
    );
    process.exit(2);
  }

  const services = await createServices(config, { logger });
  // Embedded: this process owns the data folder, so it writes the backups `bun run admin -- backup` asks for.
  if (services.database.kind === "pglite") serveBackupRequests(services.database.pglite, config.DATA_DIR, logger);
  // Stopped in order: the HTTP server first (no new events), then the worker (finishes its batch), then services.
  const stops: Array<() => Promise<void>> = [];
  if (command === "start" || command === "server") {
    const server = startHttpServer(services);
    stops.push(server.stop);
    logger.info(`analytics-dashboard listening on ${server.url}`, {
      mode: isEmbedded(config) ? "embedded" : "production",
      database: services.database.kind,
      redis: Boolean(config.REDIS_URL),
    });
  }

  if (command === "worker" || (command === "start" && !config.REDIS_URL)) {
    const worker = await bootWorker(services);
    stops.push(worker.stop);
  } else if (command === "start") {
    const worker = spawnWorkerProcess(logger);
    stops.push(worker.stop);
  }

  onShutdown(logger, async () => {
    for (const stop of stops) await stop();
    await services.close();
  });
}

/**
 * The last net, for errors no caller was there to catch. A rejected promise nobody awaited leaves nothing half done
 * behind it, so it is logged and the process carries on (ingest and the worker handle an outage on their own paths;
 * Bun's default would end the process for it). An uncaught exception may have left any state broken: it is logged
 * and the process exits 1 for its supervisor to restart (see the README's "Supervision").
 */
function watchForStrayErrors(logger: ReturnType<typeof createLogger>) {
  process.on("unhandledRejection", (reason) => {
    logger.error("unhandled promise rejection (the process keeps running)", { error: reason });
  });
  process.on("uncaughtException", (error) => {
    logger.error("uncaught exception; exiting", { error });
    process.exit(1);
  });
}

function onShutdown(logger: ReturnType<typeof createLogger>, shutdown: () => Promise<void>) {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`received ${signal}, shutting down`);
    const deadline = setTimeout(() => {
      logger.error("shutdown took longer than 10 s; exiting");
      process.exit(1);
    }, 10_000);
    shutdown()
      .then(() => {
        clearTimeout(deadline);
        process.exit(0);
      })
      .catch((error) => {
        logger.error("error during shutdown", { error });
        process.exit(1);
      });
  };
  process.on("SIGINT", () => handler("SIGINT"));
  process.on("SIGTERM", () => handler("SIGTERM"));
}

const command = (process.argv[2] ?? "start") as Command;
if (!COMMANDS.includes(command)) {
  console.error(`Unknown command "${command}". Use one of: ${COMMANDS.join(", ")}.`);
  process.exit(2);
}
main(command).catch((error) => {
  console.error("Failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
