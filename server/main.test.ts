import { afterAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, waitForHttp } from "./test-support/free-port.ts";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = await mkdtemp(path.join(tmpdir(), "ad-embedded-"));

async function startEmbedded(port: number) {
  const proc = Bun.spawn(["bun", "server/main.ts", "start"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  return proc;
}

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("bun start in embedded mode", () => {
  it("serves with no external services, keeps its secret key private, and restarts on the same data", async () => {
    const port = await freePort();
    const first = await startEmbedded(port);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/api/v1/health/ready`, 30_000);
      const ready = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`).then((r) => r.json());
      expect(ready).toMatchObject({ status: "ok", checks: { database: "ok" } });
      const keyFile = await stat(path.join(dataDir, "secret_key"));
      expect(keyFile.mode & 0o777).toBe(0o600);
      const keyBefore = await Bun.file(path.join(dataDir, "secret_key")).text();

      // A second process on the same folder is refused with a clear reason instead of corrupting it.
      const second = Bun.spawn(["bun", "server/main.ts", "start"], {
        cwd: root,
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: "warn" },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await second.exited).not.toBe(0);
      expect(await new Response(second.stderr).text()).toContain("in use by process");

      first.kill("SIGTERM");
      expect(await first.exited).toBe(0);

      const restarted = await startEmbedded(port);
      try {
        await waitForHttp(`http://127.0.0.1:${port}/api/v1/health/ready`, 30_000);
        expect(await Bun.file(path.join(dataDir, "secret_key")).text()).toBe(keyBefore);
      } finally {
        restarted.kill("SIGTERM");
        await restarted.exited;
      }
    } finally {
      first.kill("SIGKILL");
    }
  }, 60_000);

  it("refuses to start with a readable list when the configuration is wrong", async () => {
    const proc = Bun.spawn(["bun", "server/main.ts", "server"], {
      cwd: root,
      env: { PATH: process.env.PATH, DATABASE_URL: "postgres://127.0.0.1/x", PORT: "not-a-port" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(2);
    const stderr = await new Response(proc.stderr).text();
    expect(stderr).toContain("SECRET_KEY");
    expect(stderr).toContain("PORT");
  });
});
