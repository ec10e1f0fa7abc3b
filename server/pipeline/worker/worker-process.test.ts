import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import path from "node:path";
import { createApp } from "../../http/app.ts";
import {
  countEvents,
  createTestProject,
  makeEvents,
  sumRollupCounts,
  waitFor,
} from "../../test-support/ingest-fixtures.ts";
import { createTestServices, type TestServices } from "../../test-support/services.ts";

const MAIN = path.resolve(import.meta.dirname, "../../main.ts");

let t: TestServices;

beforeAll(async () => {
  t = await createTestServices();
});
afterAll(async () => {
  await t.cleanup();
});

/** The environment of a process of this product on the test's database and key prefix. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return {
    ...env,
    NODE_ENV: "test",
    DATABASE_URL: t.config.DATABASE_URL!,
    REDIS_URL: t.config.REDIS_URL!,
    REDIS_KEY_PREFIX: t.config.REDIS_KEY_PREFIX,
    SECRET_KEY: t.services.secretKey,
    DATA_DIR: t.config.DATA_DIR,
    LOG_LEVEL: "warn",
    DB_POOL_SIZE: "3",
    ...extra,
  };
}

function spawnWorker(batchSize: number) {
  return Bun.spawn([process.execPath, MAIN, "worker"], {
    env: childEnv({ WORKER_BATCH_SIZE: String(batchSize) }),
    stdout: "ignore",
    stderr: "inherit",
  });
}

describe("the worker process", () => {
  it("stores every accepted event exactly once after being killed with SIGKILL in the middle of a backlog", async () => {
    const project = await createTestProject(t.services.db);
    const app = createApp(t.services);
    // The backlog first, with no worker running: 100 requests of 100 events.
    for (let b = 0; b < 100; b++) {
      const res = await app.request("/api/v1/events/ingest", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": project.apiKey },
        body: JSON.stringify({ events: makeEvents(100, `kill-${b}`) }),
      });
      expect(res.status).toBe(202);
    }

    const first = spawnWorker(2);
    expect(await waitFor(async () => (await countEvents(t.services.db, project.projectId)) >= 1_000, 20_000, 10)).toBe(
      true,
    );
    first.kill("SIGKILL");
    await first.exited;
    const atKill = await countEvents(t.services.db, project.projectId);
    expect(atKill).toBeLessThan(10_000);
    expect((await t.services.stream.backlog()).lag).toBeGreaterThan(0);

    const second = spawnWorker(50);
    try {
      expect(await waitFor(async () => (await countEvents(t.services.db, project.projectId)) === 10_000, 30_000)).toBe(
        true,
      );
      expect(await waitFor(async () => (await t.services.stream.backlog()).pending === 0, 10_000)).toBe(true);
      expect(await sumRollupCounts(t.services.db, project.projectId)).toBe(10_000);
    } finally {
      second.kill("SIGTERM");
    }
    const stoppedAt = Date.now();
    expect(await second.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
  }, 90_000);

  it("refuses to start without REDIS_URL", async () => {
    const proc = Bun.spawn([process.execPath, MAIN, "worker"], {
      env: childEnv({ REDIS_URL: "" }),
      stdout: "ignore",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain("REDIS_URL");
  });
});

describe("bun start with REDIS_URL", () => {
  it("runs the worker as a child process so accepted events get stored, and stops both on SIGTERM", async () => {
    const project = await createTestProject(t.services.db);
    const proc = Bun.spawn([process.execPath, MAIN, "start"], {
      env: childEnv({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" }),
      stdout: "pipe",
      stderr: "inherit",
    });
    try {
      const reader = proc.stdout.getReader();
      let output = "";
      let url: string | undefined;
      const deadline = Date.now() + 15_000;
      while (!url && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        output += new TextDecoder().decode(value);
        url = /listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
      }
      reader.releaseLock();
      void proc.stdout.pipeTo(new WritableStream());
      expect(url).toBeDefined();
      const res = await fetch(`${url}/api/v1/events/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": project.apiKey },
        body: JSON.stringify({ events: makeEvents(25) }),
      });
      expect(res.status).toBe(202);
      expect(await waitFor(async () => (await countEvents(t.services.db, project.projectId)) === 25, 15_000)).toBe(
        true,
      );
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
  }, 40_000);

  it("starts the worker child again after it is killed, and the new one stores events", async () => {
    const project = await createTestProject(t.services.db);
    const proc = Bun.spawn([process.execPath, MAIN, "start"], {
      env: childEnv({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" }),
      stdout: "pipe",
      stderr: "pipe",
    });
    // Info lines go to stdout, the restart (an error) to stderr.
    let output = "";
    for (const stream of [proc.stdout, proc.stderr]) {
      void (async () => {
        const reader = stream.getReader();
        const decoder = new TextDecoder();
        for (let read = await reader.read(); !read.done; read = await reader.read())
          output += decoder.decode(read.value);
      })();
    }
    const workerPids = () =>
      [...output.matchAll(/"msg":"worker process started".*?"pid":(\d+)/g)].map((m) => Number(m[1]));
    try {
      expect(await waitFor(async () => /listening on http/.test(output) && workerPids().length === 1, 15_000)).toBe(
        true,
      );
      const url = /listening on (http:\/\/[^"\s]+)/.exec(output)![1];
      const [first] = workerPids();
      process.kill(first!, "SIGKILL");

      // The first restart comes after 500 ms.
      expect(await waitFor(async () => workerPids().length === 2, 10_000)).toBe(true);
      expect(output).toContain("the worker process exited; restarting it");
      expect(workerPids()[1]).not.toBe(first);
      const res = await fetch(`${url}/api/v1/events/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": project.apiKey },
        body: JSON.stringify({ events: makeEvents(25) }),
      });
      expect(res.status).toBe(202);
      expect(await waitFor(async () => (await countEvents(t.services.db, project.projectId)) === 25, 15_000)).toBe(
        true,
      );
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
  }, 40_000);
});
