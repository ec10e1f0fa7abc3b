import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import path from "node:path";
import type { RunningServer } from "../http/serve.ts";
import { startWorkerLoop } from "../pipeline/worker/worker-loop.ts";
import {
  countEvents,
  createTestProject,
  makeEvents,
  type TestProject,
  waitFor,
} from "../test-support/ingest-fixtures.ts";
import { createTestServices, startTestServer, type TestServices } from "../test-support/services.ts";

const root = path.resolve(import.meta.dirname, "../..");
let t: TestServices;
let server: RunningServer;
let project: TestProject;

beforeAll(async () => {
  t = await createTestServices();
  server = startTestServer(t.services);
  project = await createTestProject(t.services.db);
  await t.services.stream.ensureGroup();
});
afterAll(async () => {
  await server.stop();
  await t.cleanup();
});

/** `bun run admin -- dead-letters ...` against this test's key prefix on the shared Redis. */
async function admin(args: string[], env: Record<string, string | undefined> = {}) {
  const proc = Bun.spawn(["bun", "server/admin.ts", "dead-letters", ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL: t.config.REDIS_URL,
      REDIS_KEY_PREFIX: t.redisPrefix,
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

/** Puts `payload` on the stream, takes it as a worker would, and gives up on it: a dead letter like the worker's. */
async function makeDeadLetter(payload: string, reason = "PostgreSQL refused 1 event(s)"): Promise<string> {
  const { stream } = t.services;
  await stream.append(payload);
  const [entry] = await stream.readNew("dead-letter-maker", 1, 100);
  await stream.deadLetter({ ...entry!, deliveries: 5 }, reason);
  const letters = await stream.readDeadLetters(1000);
  return letters[letters.length - 1]!.id;
}

/** Ingests events and takes the stream entry ingest wrote for them (so no worker stores them). */
async function ingestedEntry(events: unknown[]): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/events/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": project.apiKey },
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(202);
  const [entry] = await t.services.stream.readNew("dead-letter-maker", 1, 1_000);
  return entry!.payload;
}

async function storeWithWorker(expected: number) {
  const { db, stream, pubsub, logger } = t.services;
  const worker = startWorkerLoop(
    { db, stream, pubsub, logger },
    { consumer: `w-${Bun.randomUUIDv7()}`, batchSize: 50, blockMs: 100 },
  );
  try {
    expect(
      await waitFor(
        async () => (await countEvents(db, project.projectId)) === expected && (await stream.backlog()).lag === 0,
      ),
    ).toBe(true);
    // A moment longer, so a second storing of the same events would show.
    await Bun.sleep(300);
  } finally {
    await worker.stop();
  }
}

async function clearDeadLetters() {
  expect((await admin(["drop", "--all"])).code).toBe(0);
}

describe("bun run admin -- dead-letters", () => {
  it("lists id, deliveries, project, reason and the start of the body, never an API key", async () => {
    await clearDeadLetters();
    const key = "proj_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";
    const escaped = `proj\\u005f${key.slice(5)}`;
    const first = await makeDeadLetter(
      `{"v":2,"p":"${project.projectId}","q":{"api_key":"${escaped}","events":[{"event":"checkout"}]}}`,
      `PostgreSQL refused 1 event(s): event 0 (insert_id a): value ${key} too long`,
    );
    const second = await makeDeadLetter(
      `not json {"p":"${project.projectId}","api_key":"pr\\u006fj_${key.slice(5)}" \u001b[31m`,
    );
    const { code, stdout } = await admin(["list"]);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe("ID\tDELIVERIES\tPROJECT\tREASON\tBODY");
    const [id, deliveries, projectId, reason, body] = lines[1]!.split("\t");
    expect({ id, deliveries, projectId }).toEqual({ id: first, deliveries: "5", projectId: project.projectId });
    expect(reason).toStartWith("PostgreSQL refused 1 event(s): event 0 (insert_id a)");
    expect(body).toContain('"event":"checkout"');
    expect(lines[2]!.split("\t").slice(0, 3)).toEqual([second, "5", project.projectId]);
    expect(lines.at(-1)).toBe("2 of 2 dead letter(s) shown.");
    // Neither the key nor any spelling of most of it, and no raw escape character for the terminal.
    expect(stdout).not.toContain(key.slice(5, 20));
    expect(stdout).not.toContain("\u001b");
    expect((await admin(["list", "--limit", "1"])).stdout).toContain("1 of 2 dead letter(s) shown.");
  });

  it("replays a dead letter so the worker stores its events, exactly once", async () => {
    await clearDeadLetters();
    const events = makeEvents(5);
    const payload = await ingestedEntry(events);
    const id = await makeDeadLetter(payload);
    expect(await countEvents(t.services.db, project.projectId)).toBe(0);

    const replayed = await admin(["replay", id]);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toContain(`replayed ${id}`);
    expect((await admin(["list"])).stdout.trim()).toBe("No dead letters.");
    await storeWithWorker(5);

    // The same entry dead-lettered again (say it had been stored before it failed): replaying stores nothing twice.
    await makeDeadLetter(payload);
    await makeDeadLetter(await ingestedEntry(makeEvents(3)));
    const all = await admin(["replay", "--all"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("replayed 2 dead letter(s)");
    await storeWithWorker(8);
    expect(await t.services.stream.deadLetterCount()).toBe(0);
  }, 30_000);

  it("drops one dead letter or all of them", async () => {
    await clearDeadLetters();
    const ids = [await makeDeadLetter("a"), await makeDeadLetter("b"), await makeDeadLetter("c")];
    const one = await admin(["drop", ids[1]!]);
    expect(one.code).toBe(0);
    expect((await t.services.stream.readDeadLetters(10)).map((l) => l.id)).toEqual([ids[0]!, ids[2]!]);
    const again = await admin(["drop", ids[1]!]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`No dead letter ${ids[1]}`);
    const all = await admin(["drop", "--all"]);
    expect(all.stdout).toContain("dropped 2 dead letter(s)");
    expect(await t.services.stream.deadLetterCount()).toBe(0);
  });

  it("answers a wrong invocation with its usage and exit code 2", async () => {
    for (const args of [
      ["replay"],
      ["replay", "not-an-id"],
      ["drop", "1-2", "3-4"],
      ["list", "--limit", "0"],
      ["purge"],
    ]) {
      const result = await admin(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("Usage: bun run admin -- dead-letters");
    }
  });

  it("refuses in embedded mode, saying where the dead letters are", async () => {
    const result = await admin(["list"], { REDIS_URL: undefined });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("REDIS_URL is not set");
    expect(result.stderr).toContain("analytics_dead_letters");
  });
});
