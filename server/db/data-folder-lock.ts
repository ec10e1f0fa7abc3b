/**
 * The embedded database's lock: PGlite cannot stop two processes from opening the same folder (which corrupts it),
 * so the process that opens it holds a lock file with its pid. A lock left by a process that no longer exists
 * (kill -9), or by this very pid (a container restarted as pid 1), is taken over at once. Hand-written rather than
 * `proper-lockfile`: that one judges staleness by the lock's age, so a restart right after a crash would wait or fail.
 */
import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { isProcessAlive } from "../process-alive.ts";

/** Takes the lock at `lockPath` (a file beside the data folder) and returns the function that releases it. */
export async function lockDataFolder(lockPath: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isProcessAlive(owner)) {
        throw new Error(
          `The data folder ${path.dirname(lockPath)} is in use by process ${owner}. Stop it first, or set DATA_DIR to another folder.`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

/** The pid of the live process holding the lock at `lockPath` (another than this one), or null when none does. */
export async function dataFolderOwner(lockPath: string): Promise<number | null> {
  const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
  return Number.isInteger(owner) && owner !== process.pid && isProcessAlive(owner) ? owner : null;
}
