/**
 * Backups of an embedded install (`bun run admin -- backup|restore <file>`, README "Backups"). A backup is one
 * gzipped tar (Bun.Archive) holding:
 * - `backup.json`: the format, when it was taken, the product and PGlite versions;
 * - `pg.tar`: the PGlite data folder as PGlite's own dumpDataDir() writes it, taken after a CHECKPOINT. PGlite
 *   runs dumpDataDir under the same lock as its queries, so no statement runs while the folder is read: the copy is
 *   what a crash at that instant would leave, which PostgreSQL's own recovery makes consistent (a transaction open
 *   at that moment is rolled back on restore, every committed one is there);
 * - `secret_key`: DATA_DIR/secret_key when the install generated one (it signs the logins kept in the database).
 *   The file is written with mode 0600: it holds a credential, keep it like the data folder itself.
 *
 * What a backup does not hold: events accepted but not yet stored by the in-process worker at that moment (they
 * live in memory; they are stored after the backup is taken, so the next backup has them).
 */
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import packageJson from "../../package.json" with { type: "json" };

export const BACKUP_FORMAT = 1;
const MANIFEST = "backup.json";
const DATABASE_DUMP = "pg.tar";
const SECRET_KEY = "secret_key";

interface Manifest {
  format: number;
  createdAt: string;
  product: string;
  pglite: string;
}

export interface BackupWritten {
  bytes: number;
  /** How long each step took (ms): the CHECKPOINT, the dump (the only step that holds PGlite's query lock), the rest. */
  checkpointMs: number;
  dumpMs: number;
  writeMs: number;
}

/** Writes a backup of the open embedded database (and the data folder's secret key) to `file`. */
export async function writeEmbeddedBackup(pglite: PGlite, dataDir: string, file: string): Promise<BackupWritten> {
  let started = performance.now();
  const lap = () => {
    const ms = Math.round(performance.now() - started);
    started = performance.now();
    return ms;
  };
  await pglite.query("checkpoint");
  const checkpointMs = lap();
  // Uncompressed: PGlite holds its query lock while it dumps, and reading the folder takes a fraction of the time
  // compressing it would (the archive below is compressed as a whole, after the lock is released).
  const dump = await pglite.dumpDataDir("none");
  const dumpMs = lap();
  const secretKey = await readFile(path.resolve(dataDir, SECRET_KEY)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  const manifest: Manifest = {
    format: BACKUP_FORMAT,
    createdAt: new Date().toISOString(),
    product: packageJson.version,
    pglite: packageJson.dependencies["@electric-sql/pglite"],
  };
  const entries: Record<string, string | Blob | Uint8Array> = {
    [MANIFEST]: JSON.stringify(manifest, null, 2),
    [DATABASE_DUMP]: dump,
  };
  if (secretKey) entries[SECRET_KEY] = secretKey;
  const archive = new Bun.Archive(entries, { compress: "gzip" });
  // Written beside the target and renamed: a backup cut short (disk full, a kill) never looks like a whole one.
  const target = path.resolve(file);
  const partial = `${target}.partial`;
  await writeFile(partial, await archive.bytes(), { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, target);
  return { bytes: (await stat(target)).size, checkpointMs, dumpMs, writeMs: lap() };
}

export interface RestoreOutcome {
  /** Where the data folder's previous database was moved (kept, not deleted), or null when there was none. */
  previousDatabase: string | null;
  restoredSecretKey: boolean;
  createdAt: string;
}

/**
 * Replaces the embedded database of `dataDir` with the backup's. The caller holds the data folder's lock (no process
 * runs on it). The backup is loaded into a new folder and opened once before anything is replaced, so a damaged file
 * changes nothing; the previous database is then moved to `pg.replaced-<time>` rather than deleted.
 */
export async function restoreEmbeddedBackup(dataDir: string, file: string): Promise<RestoreOutcome> {
  const files = await new Bun.Archive(await Bun.file(path.resolve(file)).bytes()).files();
  const manifestFile = files.get(MANIFEST);
  const dump = files.get(DATABASE_DUMP);
  if (!manifestFile || !dump)
    throw new Error(`${file} is not a backup of this product (no ${MANIFEST} or ${DATABASE_DUMP})`);
  const manifest = JSON.parse(await manifestFile.text()) as Manifest;
  if (manifest.format !== BACKUP_FORMAT)
    throw new Error(`${file} is a backup of format ${manifest.format}; this release reads format ${BACKUP_FORMAT}`);

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const folder = path.resolve(dataDir, "pg");
  const incoming = path.resolve(dataDir, "pg.restoring");
  await rm(incoming, { recursive: true, force: true });
  const { PGlite } = await import("@electric-sql/pglite");
  const loaded = await PGlite.create({ dataDir: incoming, loadDataDir: new Blob([await dump.arrayBuffer()]) });
  try {
    // Opening it ran PostgreSQL's recovery; a query proves the catalog and the product's tables are readable.
    await loaded.query("select count(*) from projects");
  } finally {
    await loaded.close();
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let previousDatabase: string | null = path.resolve(dataDir, `pg.replaced-${stamp}`);
  try {
    await rename(folder, previousDatabase);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    previousDatabase = null;
  }
  await rename(incoming, folder);

  const secretKey = files.get(SECRET_KEY);
  if (secretKey) {
    const keyFile = path.resolve(dataDir, SECRET_KEY);
    await rename(keyFile, `${keyFile}.replaced-${stamp}`).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    await writeFile(keyFile, new Uint8Array(await secretKey.arrayBuffer()), { mode: 0o600 });
  }
  return { previousDatabase, restoredSecretKey: Boolean(secretKey), createdAt: manifest.createdAt };
}
