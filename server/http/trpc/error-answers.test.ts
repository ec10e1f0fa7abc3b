/**
 * What a client reads when a call goes wrong, over real HTTP: input PostgreSQL cannot take (NUL, dates far out of
 * range) is a BAD_REQUEST naming the field, and an internal error is a generic message with a request id, never
 * the failed query's SQL or parameters. The same id is in the X-Request-Id header and in the log line that holds
 * the details.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../db/client.ts";
import { createLogger, type Logger } from "../../logger.ts";
import type { Services } from "../../services.ts";
import { registerAndSignIn } from "../../test-support/auth.ts";
import { freePort } from "../../test-support/free-port.ts";
import { createTestServices, startTestServer, type TestServices } from "../../test-support/services.ts";
import { createApp } from "../app.ts";
import type { RunningServer } from "../serve.ts";

const HOOK_TIMEOUT_MS = 60_000;

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** The real logger writing into `lines` instead of stderr, so tests read exactly the records it would write. */
function capturingLogger(lines: LogLine[]): Logger {
  const logger = createLogger("debug");
  const keep =
    (write: (message: string, fields?: Record<string, unknown>) => void) =>
    (message: string, fields?: Record<string, unknown>) => {
      const { stderr, stdout } = process;
      let written = "";
      const capture = (chunk: string | Uint8Array) => {
        written += String(chunk);
        return true;
      };
      const [errWrite, outWrite] = [stderr.write, stdout.write];
      stderr.write = capture as typeof stderr.write;
      stdout.write = capture as typeof stdout.write;
      try {
        write(message, fields);
      } finally {
        stderr.write = errWrite;
        stdout.write = outWrite;
      }
      const record = JSON.parse(written) as Record<string, unknown>;
      lines.push({ level: String(record.level), message: String(record.msg), fields: record });
    };
  return { debug: keep(logger.debug), info: keep(logger.info), warn: keep(logger.warn), error: keep(logger.error) };
}

let t: TestServices;
let server: RunningServer;
let token: string;
let projectId: string;
const lines: LogLine[] = [];

beforeAll(async () => {
  t = await createTestServices();
  const services: Services = { ...t.services, logger: capturingLogger(lines) };
  server = startTestServer(services);
  const owner = await registerAndSignIn(t.services);
  token = owner.login.accessToken;
  projectId = (await owner.caller.projects.create({ name: "Errors" })).project.id;
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await t?.cleanup();
}, HOOK_TIMEOUT_MS);

function query(base: string, path: string, input: unknown, bearer: string | null = token) {
  const url = `${base}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
  return fetch(url, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
}

function mutate(base: string, path: string, input: unknown, bearer: string | null = token) {
  return fetch(`${base}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(input),
  });
}

interface ErrorBody {
  error: {
    message: string;
    data: { code: string; httpStatus: number; zodIssues: Array<{ path: unknown[] }> | null; requestId?: string | null };
  };
}

async function expectBadRequestOn(res: Response, path: unknown[]) {
  const text = await res.text();
  expect(res.status).toBe(400);
  expect(text.toLowerCase()).not.toContain("select");
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error.data.code).toBe("BAD_REQUEST");
  expect(body.error.data.zodIssues?.map((issue) => issue.path)).toContainEqual(path);
}

describe("input PostgreSQL cannot take", () => {
  it("answers 400 on the filter's value when it holds NUL", async () => {
    const filters = [{ dimension: "path", op: "eq", value: "/a\u0000b" }];
    await expectBadRequestOn(await query(server.url, "analytics.overview", { projectId, filters }), [
      "filters",
      0,
      "value",
    ]);
  });

  it("answers 400 on the filter's dimension when a property key holds NUL", async () => {
    const filters = [{ dimension: "property:pl\u0000an", op: "neq", value: "pro" }];
    await expectBadRequestOn(await query(server.url, "analytics.timeseries", { projectId, filters }), [
      "filters",
      0,
      "dimension",
    ]);
    const breakdown = { projectId, dimension: "property:\u0000" };
    await expectBadRequestOn(await query(server.url, "analytics.breakdown", breakdown), ["dimension"]);
  });

  it("answers 400 on any other string input holding NUL, a project's name for one", async () => {
    await expectBadRequestOn(await mutate(server.url, "projects.create", { name: "Shop\u0000" }), ["name"]);
    await expectBadRequestOn(
      await mutate(server.url, "auth.login", { email: "a\u0000@example.com", password: "x" }, null),
      ["email"],
    );
  });

  it("answers 400 on `from` in year 0001 and on `to` far in the future", async () => {
    await expectBadRequestOn(
      await query(server.url, "analytics.overview", { projectId, from: "0001-01-01T00:00:00Z" }),
      ["from"],
    );
    const future = { projectId, from: "2026-01-01T00:00:00Z", to: "9999-12-31T00:00:00Z" };
    await expectBadRequestOn(await query(server.url, "analytics.sessions", future), ["to"]);
    const early = { projectId, from: "1999-12-31T23:59:59Z", to: "2000-01-02T00:00:00Z" };
    await expectBadRequestOn(await query(server.url, "analytics.topEvents", early), ["from"]);
  });

  it("still answers a range from 2000-01-01 to a day ahead", async () => {
    const to = new Date(Date.now() + 23 * 3_600_000).toISOString();
    const res = await query(server.url, "analytics.overview", {
      projectId,
      from: new Date(Date.now() - 86_400_000 * 30).toISOString(),
      to,
    });
    expect(res.status).toBe(200);
    const res2 = await query(server.url, "analytics.topEvents", {
      projectId,
      from: "2000-01-01T00:00:00Z",
      to: "2000-06-01T00:00:00Z",
    });
    expect(res2.status).toBe(200);
  });
});

/** The 500's body leaks nothing, and its id is the header's and the log line's, which holds the details. */
async function expectGenericInternalError(res: Response, detail: string) {
  const text = await res.text();
  expect(res.status).toBe(500);
  expect(text).not.toContain(detail);
  expect(text.toLowerCase()).not.toContain("select");
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error.message).toBe("Something went wrong on our side. Quote the request id if you report it.");
  const requestId = body.error.data.requestId;
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get("x-request-id")).toBe(requestId!);
  const line = lines.find((l) => l.level === "error" && l.fields.requestId === requestId);
  expect(line).toBeDefined();
  expect(JSON.stringify(line!.fields)).toContain(detail);
}

describe("internal errors", () => {
  it("answer a generic message with the request id when a query fails, the SQL only in the log", async () => {
    // A real failing query: the table the overview reads is gone (in this test's own database), then restored.
    await t.services.db.execute(sql`alter table events rename to events_gone`);
    try {
      const res = await query(server.url, "analytics.overview", { projectId });
      await expectGenericInternalError(res, "events");
      const line = lines.find((l) => l.fields.requestId === res.headers.get("x-request-id"));
      expect(JSON.stringify(line!.fields).toLowerCase()).toContain("select");
    } finally {
      await t.services.db.execute(sql`alter table events_gone rename to events`);
    }
  });

  it("answer a generic message with the request id when the database is unreachable", async () => {
    const port = await freePort();
    const unreachable = await openDatabase({
      databaseUrl: `postgres://postgres@127.0.0.1:${port}/gone`,
      dataDir: "",
      poolSize: 1,
    });
    const broken = startTestServer({ ...t.services, db: unreachable.db, logger: capturingLogger(lines) });
    try {
      // Signed in: building the request's context reads the user, which fails.
      await expectGenericInternalError(await query(broken.url, "auth.me", {}), "ECONNREFUSED");
    } finally {
      await broken.stop();
      await unreachable.close();
    }
  });

  it("carry an X-Request-Id on every answer, distinct per request", async () => {
    const a = await fetch(`${server.url}/api/v1/health`);
    const b = await fetch(`${server.url}/api/v1/health`);
    expect(a.headers.get("x-request-id")).toBeTruthy();
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("on REST routes, answer the REST shape with the request id, logged with the details", async () => {
    const app = createApp({ ...t.services, logger: capturingLogger(lines) });
    app.get("/api/v1/test-only-failure", () => {
      throw new Error('failed query: select secret from "users" where id = $1');
    });
    const res = await app.request("/api/v1/test-only-failure");
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe("internal_error");
    expect(JSON.stringify(body)).not.toContain("secret");
    expect(res.headers.get("x-request-id")).toBe(body.error.requestId);
    const line = lines.find((l) => l.fields.requestId === body.error.requestId);
    expect(JSON.stringify(line?.fields)).toContain("select secret");
  });
});
