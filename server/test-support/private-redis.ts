/**
 * A private redis-server on a random port, for fault tests (stop it, restart it, fill its memory) without touching
 * the shared one.
 */
import { freePort } from "./free-port.ts";

export interface PrivateRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL): clients see a dead connection. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  start(): Promise<void>;
}

export async function startPrivateRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  let proc: ReturnType<typeof Bun.spawn> | null = null;

  const start = async () => {
    proc = Bun.spawn(
      ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs],
      { stdout: "ignore", stderr: "ignore" },
    );
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })
        .then((s) => {
          s.end();
          return true;
        })
        .catch(() => false);
      if (ok) return;
      await Bun.sleep(25);
    }
    throw new Error(`private redis-server did not start on port ${port}`);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      const p = proc;
      proc = null;
      if (!p) return;
      p.kill("SIGKILL");
      await p.exited;
    },
  };
}
