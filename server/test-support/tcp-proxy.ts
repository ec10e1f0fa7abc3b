/**
 * A TCP proxy for fault tests: clients connect to it instead of PostgreSQL, and `stop()` makes the database look
 * gone without touching the shared server: open connections are reset and new ones are closed as soon as they
 * arrive; `start()` brings it back. The listener itself stays open throughout, so no connection can be left
 * half-open in a closed listener's backlog (a client would then wait for its connect timeout, not fail).
 */
import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let up = true;

  const server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const resetAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    port,
    start: async () => {
      up = true;
    },
    stop: async () => {
      up = false;
      resetAll();
    },
    close: async () => {
      up = false;
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
