/**
 * Operator commands: `bun run admin -- dead-letters list|replay|drop` (see server/admin/dead-letters.ts),
 * `bun run admin -- reset-password <email>` (server/admin/reset-password.ts; works in both modes, on the database of
 * DATABASE_URL or, embedded, on DATA_DIR while `bun start` is stopped: the data folder is locked while it runs), and
 * `bun run admin -- backup|restore <file>` for embedded mode (server/admin/backup-command.ts).
 *
 * They work on the Redis of REDIS_URL (and REDIS_KEY_PREFIX), the production topology. In embedded mode the stream
 * and its dead letters live inside the running `bun start` process and end with it: no other process can reach
 * them, so the command says so and exits 2 rather than pretend (they are in that process's log, one line each:
 * "moved a stream entry to the dead-letter stream", and counted by analytics_dead_letters).
 */
import { BACKUP_USAGE, runBackupCommand } from "./admin/backup-command.ts";
import { runDeadLetters, USAGE } from "./admin/dead-letters.ts";
import { RESET_PASSWORD_USAGE, runResetPassword } from "./admin/reset-password.ts";
import { type Config, ConfigError, loadConfig } from "./env.ts";
import { connectRedis } from "./infra/redis.ts";
import { RedisEventStream } from "./pipeline/stream/redis-event-stream.ts";
import { createServices } from "./services.ts";

async function resetPassword(config: Config, args: string[]): Promise<number> {
  let services: Awaited<ReturnType<typeof createServices>>;
  try {
    services = await createServices(config, { migrate: false, checkRedisDurability: false });
  } catch (error) {
    // E.g. embedded mode while `bun start` holds the data folder: the message says what to do.
    console.error(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  try {
    return await runResetPassword(services, args, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  } finally {
    await services.close();
  }
}

async function main(args: string[]): Promise<number> {
  const [group, ...rest] = args;
  if (group !== "dead-letters" && group !== "reset-password" && group !== "backup" && group !== "restore") {
    console.error(
      `${group ? `Unknown command "${group}".` : "No command given."}\n${USAGE}\n${RESET_PASSWORD_USAGE}\n${BACKUP_USAGE}`,
    );
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  if (group === "reset-password") return resetPassword(config, rest);
  if (group === "backup" || group === "restore") {
    try {
      return await runBackupCommand(group, rest, config, {
        out: (line) => console.log(line),
        err: (line) => console.error(line),
      });
    } catch (error) {
      console.error(`Failed: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  }
  if (!config.REDIS_URL) {
    console.error(
      "REDIS_URL is not set: in embedded mode the stream and its dead letters live inside the running `bun start` " +
        "process (they end with it) and this command cannot reach them. Each one is in that process's log " +
        '("moved a stream entry to the dead-letter stream") and counted by analytics_dead_letters at /api/v1/metrics.',
    );
    return 2;
  }
  const redis = connectRedis(config.REDIS_URL);
  const stream = new RedisEventStream({ redis, prefix: config.REDIS_KEY_PREFIX, appendUrl: null });
  try {
    return await runDeadLetters(stream, rest, { out: (line) => console.log(line), err: (line) => console.error(line) });
  } catch (error) {
    console.error(
      `Failed: ${error instanceof Error ? error.message : String(error)} (is Redis at REDIS_URL reachable?)`,
    );
    return 1;
  } finally {
    await stream.close();
    redis.disconnect();
  }
}

process.exitCode = await main(process.argv.slice(2));
