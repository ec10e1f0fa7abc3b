/**
 * Child processes of the benchmark: the product's own server and worker (started the way a user starts them), the
 * bare ceiling server, and wrk. Environment variables are passed with `env NAME=value ... command`, which adds to
 * (and overrides in) the inherited environment without this script reading it, and replaces itself with the
 * command, so the child's pid is the measured process's pid.
 */

import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export interface Child {
  name: string;
  pid: number;
  proc: ReturnType<typeof Bun.spawn>;
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
/** Ports the run may listen on (--ports); null: any port the system hands out. */
let portRange: { from: number; to: number; next: number } | null = null;
export function setPortRange(range: { from: number; to: number } | null): void {
  portRange = range ? { ...range, next: range.from } : null;
}

export async function freePort(): Promise<number> {
  if (portRange) {
    const range = portRange;
    for (let tries = 0; tries <= range.to - range.from; tries++) {
      const port = range.next;
      range.next = port >= range.to ? range.from : port + 1;
      if (await canListen(port)) return port;
    }
    throw new Error(`no free port in ${range.from}-${range.to}`);
  }
  return listenOn(0);
}

async function canListen(port: number): Promise<boolean> {
  return listenOn(port).then(
    () => true,
    () => false,
  );
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port")),
      );
    });
  });
}

/** Every child still running, so an interrupted run (Ctrl-C, SIGTERM) can stop them instead of orphaning them. */
export const liveChildren = new Set<Child>();

/** Starts `command` with extra environment variables (and `unset` ones removed), output going to `logFile`. */
export function spawnChild(options: {
  name: string;
  command: string[];
  env?: Record<string, string>;
  unset?: string[];
  logFile: string;
  cwd?: string;
}): Child {
  const envArgs = [
    ...(options.unset ?? []).flatMap((name) => ["-u", name]),
    ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  const log = Bun.file(options.logFile);
  const proc = Bun.spawn(["env", ...envArgs, ...options.command], {
    cwd: options.cwd ?? REPO_ROOT,
    stdout: log,
    stderr: log,
    stdin: "ignore",
  });
  const child: Child = {
    name: options.name,
    pid: proc.pid,
    proc,
    logFile: options.logFile,
    stop: async (graceMs = 10_000) => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
        if (!exited) {
          proc.kill("SIGKILL");
          await proc.exited;
        }
      }
      liveChildren.delete(child);
    },
  };
  liveChildren.add(child);
  void proc.exited.then(() => liveChildren.delete(child));
  return child;
}

/** The last lines of a child's log, for error messages. */
export async function tailLog(child: Child, lines = 15): Promise<string> {
  const text = await readFile(child.logFile, "utf8").catch((error: Error) => `(no log: ${error.message})`);
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Polls `url` until it answers 2xx, the child exits, or `timeoutMs` passes. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) {
      throw new Error(`${child.name} exited with code ${child.proc.exitCode}:\n${await tailLog(child)}`);
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return;
    await Bun.sleep(100);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${await tailLog(child)}`);
}

/** Peak resident set size (VmHWM) of a live process in MB, read from /proc; null if it is gone. */
export async function peakRssMb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => null);
  const match = status?.match(/^VmHWM:\s+(\d+)\s+kB/m);
  return match ? Number(match[1]) / 1024 : null;
}

/** Runs a command to completion and returns its stdout; throws with stderr when it fails. */
export async function runCommand(
  command: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const envArgs = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const proc = Bun.spawn(["env", ...envArgs, ...command], {
    cwd: options.cwd ?? REPO_ROOT,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0)
    throw new Error(`${command.join(" ")} exited with ${code}: ${(stderr || stdout).trim().slice(-2000)}`);
  return stdout;
}

const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in seconds, from /proc; null if it is gone. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (!stat) return null;
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields overall.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}
