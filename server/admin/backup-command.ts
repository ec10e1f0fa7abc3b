/**
 * `bun run admin -- backup <file>` and `bun run admin -- restore <file>`, for embedded mode (README "Backups"):
 * - backup: when a process runs on the data folder (its lock names a live pid) that process writes the backup
 *   (backup-requests.ts); otherwise this command opens the folder itself (taking its lock) and writes it;
 * - restore: only while nothing runs on the data folder (the lock is taken for the whole restore, so the product
 *   cannot start half way); the previous database is kept beside the new one.
 * With DATABASE_URL set the database is PostgreSQL: use pg_dump/pg_restore (README), so both refuse (exit 2).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { openDatabase } from "../db/client.ts";
import { dataFolderOwner, lockDataFolder } from "../db/data-folder-lock.ts";
import type { Config } from "../env.ts";
import { requestBackup } from "./backup-requests.ts";
import { restoreEmbeddedBackup, writeEmbeddedBackup } from "./embedded-backup.ts";

export const BACKUP_USAGE = `Usage:
  bun run admin -- backup <file>    write a backup of the embedded install (DATA_DIR) to <file>, running or not
  bun run admin -- restore <file>   replace the embedded install's database with <file>'s (stop the product first)`;

interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Runs `backup` or `restore`; returns the exit code. */
export async function runBackupCommand(
  command: "backup" | "restore",
  args: string[],
  config: Pick<Config, "DATA_DIR" | "DATABASE_URL">,
  io: Output,
): Promise<number> {
  const [file, ...extra] = args;
  if (!file || extra.length > 0) {
    io.err(BACKUP_USAGE);
    return 2;
  }
  if (config.DATABASE_URL) {
    io.err(
      "DATABASE_URL is set: the database is PostgreSQL, back it up with pg_dump and restore it with pg_restore " +
        '(README "Backups"). These commands are for the embedded install in DATA_DIR.',
    );
    return 2;
  }
  const dataDir = path.resolve(config.DATA_DIR);
  const lockFile = path.resolve(dataDir, "pg.lock");
  const owner = await dataFolderOwner(lockFile);
  if (command === "restore") {
    if (owner !== null) {
      io.err(`The data folder ${dataDir} is in use by process ${owner}: stop the product, then restore.`);
      return 1;
    }
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const release = await lockDataFolder(lockFile);
    try {
      const outcome = await restoreEmbeddedBackup(dataDir, file);
      io.out(`Restored the backup of ${outcome.createdAt} into ${dataDir}.`);
      if (outcome.previousDatabase) io.out(`The previous database is kept in ${outcome.previousDatabase}.`);
      if (outcome.restoredSecretKey) io.out("The secret key of the backup is restored too.");
      return 0;
    } finally {
      await release();
    }
  }
  if (owner !== null) {
    const bytes = await requestBackup(dataDir, owner, file);
    io.out(`Backup written to ${path.resolve(file)} (${bytes} bytes) by the running process ${owner}.`);
    return 0;
  }
  const handle = await openDatabase({ dataDir, poolSize: 1 });
  try {
    if (handle.kind !== "pglite") throw new Error("expected the embedded database");
    const { bytes } = await writeEmbeddedBackup(handle.pglite, dataDir, file);
    io.out(`Backup written to ${path.resolve(file)} (${bytes} bytes).`);
    return 0;
  } finally {
    await handle.close();
  }
}
