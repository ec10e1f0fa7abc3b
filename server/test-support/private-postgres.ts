/**
 * A private PostgreSQL cluster (initdb into a temp folder, its own port, its socket in that folder) for tests that
 * stop the server under load. The shared server at 5432 is never stopped or restarted by a test.
 *
 * PostgreSQL refuses to run as root: under root (CI, containers) the cluster runs as the `postgres` OS user, which
 * then owns the folder.
 *
 * The cluster is a daemon (pg_ctl), so it would outlive a test process that fails: `destroy()` in a `finally`
 * stops it and removes the folder, and an exit hook does the same for a process that ends without reaching it.
 */

import { existsSync, readdirSync, rmSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port.ts";

/** Where initdb and pg_ctl are: on PATH, or Debian's versioned folder (newest first), which is not on PATH. */
function postgresBin(): string {
  const onPath = Bun.which("initdb");
  if (onPath) return path.dirname(onPath);
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions)
    if (existsSync(path.join(root, version, "bin", "initdb"))) return path.join(root, version, "bin");
  throw new Error("initdb not found: install PostgreSQL's server binaries");
}
const BIN = postgresBin();

export interface PrivatePostgres {
  port: number;
  /** The URL of its `postgres` database (the cluster is the test's own, so no other database is needed). */
  url: string;
  /** `pg_ctl stop -m immediate`: every backend dies at once, no checkpoint; the next start runs crash recovery. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster (if running) and deletes its folder. */
  destroy(): Promise<void>;
}

const AS_POSTGRES = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];

async function run(argv: string[]): Promise<void> {
  const proc = Bun.spawn([...AS_POSTGRES, ...argv], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`${argv.slice(0, 2).join(" ")} exited ${code}: ${err || out}`);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const folder = await mkdtemp(path.join(tmpdir(), "ad-private-pg-"));
  const dataDir = path.join(folder, "data");
  const port = await freePort();
  let running = false;
  const stopSync = () => {
    if (running)
      Bun.spawnSync([...AS_POSTGRES, `${BIN}/pg_ctl`, "-D", dataDir, "-m", "immediate", "-w", "stop"], {
        stdout: "ignore",
        stderr: "ignore",
      });
    running = false;
    rmSync(folder, { recursive: true, force: true });
  };
  process.once("exit", stopSync);

  const start = async () => {
    // fsync off: the tests stop the server process, never the machine, so nothing depends on it, and it keeps the
    // cluster light on a shared 2-core host.
    const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
    await run([
      `${BIN}/pg_ctl`,
      "-D",
      dataDir,
      "-o",
      options,
      "-l",
      path.join(folder, "log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
    running = true;
  };

  try {
    if (AS_POSTGRES.length) {
      const ids = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
      const gid = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
      await chown(folder, Number(ids), Number(gid));
    }
    await run([`${BIN}/initdb`, "-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    await start();
  } catch (error) {
    stopSync();
    process.off("exit", stopSync);
    throw error;
  }

  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: async () => {
      await run([`${BIN}/pg_ctl`, "-D", dataDir, "-m", "immediate", "-w", "stop"]);
      running = false;
    },
    destroy: async () => {
      process.off("exit", stopSync);
      if (running) await run([`${BIN}/pg_ctl`, "-D", dataDir, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      running = false;
      await rm(folder, { recursive: true, force: true });
    },
  };
}
