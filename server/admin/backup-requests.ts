/**
 * A backup of an embedded install that is running: only the process holding the data folder may open its PGlite
 * database (data-folder-lock.ts), so `bun run admin -- backup <file>` asks that process to write it. The request is
 * a file in DATA_DIR/backup-requests/ naming the target, and a SIGUSR2 to the pid in the lock file; the process writes
 * the backup (embedded-backup.ts, under PGlite's query lock, so ingest and the dashboard wait for the few seconds
 * it takes and nothing is refused) and answers with `<id>.done.json` beside the request. Only someone who can
 * write the data folder and signal the process can ask, which is who could copy the folder anyway.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { Logger } from "../logger.ts";
import { writeEmbeddedBackup } from "./embedded-backup.ts";

const REQUESTS = "backup-requests";
const SIGNAL = "SIGUSR2";

interface BackupAnswer {
  ok: boolean;
  bytes?: number;
  error?: string;
}

/** Writes the backups other processes ask for (see the header); returns the function that stops listening. */
export function serveBackupRequests(pglite: PGlite, dataDir: string, logger: Logger): () => void {
  const folder = path.resolve(dataDir, REQUESTS);
  let queue = Promise.resolve();
  const serve = async () => {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith(".request.json"))) {
      const id = name.slice(0, -".request.json".length);
      const requestFile = path.join(folder, name);
      let answer: BackupAnswer;
      try {
        const { file } = JSON.parse(await readFile(requestFile, "utf8")) as { file: string };
        const written = await writeEmbeddedBackup(pglite, dataDir, file);
        logger.info("backup written", { file, ...written });
        answer = { ok: true, bytes: written.bytes };
      } catch (error) {
        logger.error("backup failed", { error });
        answer = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      await rm(requestFile, { force: true });
      // Renamed into place, so the asking process never reads half an answer.
      await writeFile(path.join(folder, `${id}.done.tmp`), JSON.stringify(answer), { mode: 0o600 });
      await rename(path.join(folder, `${id}.done.tmp`), path.join(folder, `${id}.done.json`));
    }
  };
  const onSignal = () => {
    queue = queue.then(serve).catch((error) => logger.error("cannot serve backup requests", { error }));
  };
  process.on(SIGNAL, onSignal);
  return () => process.off(SIGNAL, onSignal);
}

/** Asks the process `owner` (holding `dataDir`) to write a backup to `file`; resolves with its size. */
export async function requestBackup(
  dataDir: string,
  owner: number,
  file: string,
  timeoutMs = 600_000,
): Promise<number> {
  const folder = path.resolve(dataDir, REQUESTS);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const id = Bun.randomUUIDv7();
  await writeFile(path.join(folder, `${id}.request.json`), JSON.stringify({ file: path.resolve(file) }), {
    mode: 0o600,
  });
  process.kill(owner, SIGNAL);
  const doneFile = path.join(folder, `${id}.done.json`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(doneFile, "utf8").catch(() => null);
    if (text !== null) {
      await rm(doneFile, { force: true });
      const answer = JSON.parse(text) as BackupAnswer;
      if (!answer.ok) throw new Error(`the running process could not write the backup: ${answer.error}`);
      return answer.bytes ?? 0;
    }
    await Bun.sleep(100);
  }
  await rm(path.join(folder, `${id}.request.json`), { force: true });
  throw new Error(
    `process ${owner} did not answer the backup request within ${timeoutMs / 1000} s (is it this release?)`,
  );
}
