/**
 * The auth procedures over real HTTP: cookies, Bearer tokens, the unbatched refresh rule, CSRF, CORS, rate limits and
 * error shapes. Requests go through `app.request()` (X-Forwarded-For, trusted here, picks the client IP) and, where
 * the socket matters, a real Bun.serve.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { LOGIN_FAILED_MESSAGE } from "../../shared/auth.ts";
import { createApp } from "../http/app.ts";
import { TEST_PASSWORD, testEmail } from "../test-support/auth.ts";
import { createTestServices, startTestServer, type TestServices } from "../test-support/services.ts";

// Setting up databases (and PGlite or a private redis-server) can take several seconds on a busy machine.
const HOOK_TIMEOUT_MS = 60_000;

const DASHBOARD = "https://dash.example";
const BASE = "http://api.test";

let t: TestServices;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  t = await createTestServices({ TRUST_PROXY: "true", CORS_ORIGINS: DASHBOARD });
  app = createApp(t.services);
  sharedEmail = testEmail("http");
  expect((await post("auth.register", { email: sharedEmail, password: TEST_PASSWORD })).status).toBe(200);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

const newIp = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(`${BASE}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": newIp(), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function get(path: string, headers: Record<string, string> = {}) {
  return app.request(`${BASE}/api/trpc/${path}`, { headers: { "x-forwarded-for": newIp(), ...headers } });
}

/** The cookie values a response sets, by name. */
function cookieValues(res: Response): Record<string, string> {
  return Object.fromEntries(
    res.headers.getSetCookie().map((cookie) => {
      const pair = cookie.split(";")[0]!;
      return [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
    }),
  );
}

// One account for the whole file (argon2 at the production cost is ~0.1 s per hash); each test signs in anew.
let sharedEmail: string;

async function registerAndLogin() {
  const email = sharedEmail;
  const res = await post("auth.login", { email, password: TEST_PASSWORD });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { result: { data: { accessToken: string; user: { id: string } } } };
  return { email, res, cookies: cookieValues(res), data: body.result.data };
}

describe("auth over HTTP", () => {
  it("signs in with cookies that authenticate later requests, and with a Bearer token", async () => {
    const { cookies, data, res } = await registerAndLogin();
    expect(res.headers.getSetCookie()).toHaveLength(3);
    expect(cookies.access_token).toBe(data.accessToken);

    const byCookie = await get("auth.me", { cookie: `access_token=${cookies.access_token}` });
    expect(byCookie.status).toBe(200);
    expect(((await byCookie.json()) as { result: { data: { id: string } } }).result.data.id).toBe(data.user.id);

    const byBearer = await get("auth.me", { authorization: `Bearer ${data.accessToken}` });
    expect(byBearer.status).toBe(200);
  });

  it("refreshes from the refresh cookie on the unbatched URL and rotates both cookies", async () => {
    const { cookies } = await registerAndLogin();
    const res = await post("auth.refresh", {}, { cookie: `refresh_token=${cookies.refresh_token}` });
    expect(res.status).toBe(200);
    const rotated = cookieValues(res);
    expect(rotated.access_token).not.toBe(cookies.access_token);
    expect(rotated.refresh_token).not.toBe(cookies.refresh_token);
    expect(res.headers.getSetCookie().find((c) => c.startsWith("refresh_token="))).toContain(
      "Path=/api/trpc/auth.refresh",
    );
  });

  it(
    "keeps both tabs signed in when two refreshes of one cookie reach a real server at once",
    async () => {
      // The dashboard's two tabs, each sending the refresh cookie they share, over two real connections.
      for (const redis of [true, false]) {
        const store = redis ? t : await createTestServices({ TRUST_PROXY: "true" }, { redis: false });
        const server = startTestServer(store.services);
        try {
          const send = (path: string, headers: Record<string, string>, body?: unknown) =>
            fetch(`${server.url}/api/trpc/${path}`, {
              method: body === undefined ? "GET" : "POST",
              headers: { "content-type": "application/json", "x-forwarded-for": newIp(), ...headers },
              body: body === undefined ? undefined : JSON.stringify(body),
            });
          if (!redis) await send("auth.register", {}, { email: sharedEmail, password: TEST_PASSWORD });
          const login = await send("auth.login", {}, { email: sharedEmail, password: TEST_PASSWORD });
          const cookie = `refresh_token=${cookieValues(login).refresh_token}`;
          const [a, b] = await Promise.all([
            send("auth.refresh", { cookie }, {}),
            send("auth.refresh", { cookie }, {}),
          ]);
          expect([a.status, b.status]).toEqual([200, 200]);
          const [ca, cb] = [cookieValues(a), cookieValues(b)];
          expect(ca.refresh_token).toBe(cb.refresh_token!);
          expect(ca.access_token).toBe(cb.access_token!);
          expect((await send("auth.me", { cookie: `access_token=${ca.access_token}` })).status).toBe(200);
          // The shared successor is the one refresh token that works.
          expect((await send("auth.refresh", { cookie: `refresh_token=${ca.refresh_token}` }, {})).status).toBe(200);
        } finally {
          await server.stop();
          if (!redis) await store.cleanup();
        }
      }
    },
    HOOK_TIMEOUT_MS,
  );

  it("answers a batched refresh without its cookie with 401 naming the unbatched rule", async () => {
    const { cookies } = await registerAndLogin();
    // What a browser sends to a batch URL: the access cookie only (the refresh cookie's Path does not match).
    const res = await post(
      "auth.wsTicket,auth.refresh?batch=1",
      { 0: { projectId: crypto.randomUUID() }, 1: null },
      { cookie: `access_token=${cookies.access_token}` },
    );
    const [ticket, refresh] = (await res.json()) as Array<{ error: { message: string; data: { httpStatus: number } } }>;
    expect(ticket!.error.data.httpStatus).toBe(404);
    expect(refresh!.error.data.httpStatus).toBe(401);
    expect(refresh!.error!.message).toContain("must be called on its own");
  });

  it("logs out so the same cookie is refused at once, with cookies cleared", async () => {
    const { cookies } = await registerAndLogin();
    const logout = await post("auth.logout", {}, { cookie: `access_token=${cookies.access_token}` });
    expect(logout.status).toBe(200);
    expect(logout.headers.getSetCookie().every((c) => c.includes("Max-Age=0"))).toBe(true);
    const after = await get("auth.me", { cookie: `access_token=${cookies.access_token}` });
    expect(after.status).toBe(401);
  });

  it("answers a wrong password with 401 and the shared message", async () => {
    const { email } = await registerAndLogin();
    const res = await post("auth.login", { email, password: "Wrong-password-1!" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(LOGIN_FAILED_MESSAGE);
  });

  it(
    "answers a locked IP with 429, Retry-After and the minutes left, for an unknown email alike",
    async () => {
      const answers = [];
      for (const email of [sharedEmail, testEmail("nobody")]) {
        // An IP per email: six sign-ins each stay under the per-minute limit of 10.
        const ip = newIp();
        for (let i = 0; i < 5; i++) {
          const wrong = await post("auth.login", { email, password: "Wrong-password-1!" }, { "x-forwarded-for": ip });
          expect(wrong.status).toBe(401);
        }
        const locked = await post("auth.login", { email, password: TEST_PASSWORD }, { "x-forwarded-for": ip });
        const body = (await locked.json()) as { error: { message: string } };
        answers.push(`${locked.status} ${body.error.message}`);
        expect(Number(locked.headers.get("retry-after"))).toBeWithin(14 * 60, 15 * 60 + 1);
      }
      expect(answers).toEqual(Array(2).fill("429 Too many attempts, try again in 15 minutes."));
      // The account itself is not locked: the right password from another IP signs in.
      expect((await post("auth.login", { email: sharedEmail, password: TEST_PASSWORD })).status).toBe(200);
    },
    HOOK_TIMEOUT_MS,
  );

  it("carries zod issues for bad input and never answers 500", async () => {
    const bad = await post("auth.register", { email: "not-an-email", password: "short" });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { data: { zodIssues: Array<{ path: string[] }> } } };
    expect(body.error.data.zodIssues.map((issue) => issue.path[0])).toEqual(
      expect.arrayContaining(["email", "password"]),
    );

    const probes = [
      post("auth.login", "{not json"),
      post("auth.login", { email: 5, password: ["x"] }),
      post("auth.login", "null"),
      post("auth.login", "[]"),
      post("auth.login", { email: `${"a".repeat(300)}@example.com`, password: "x".repeat(10_000) }),
      get("projects.get?input=%7Bbroken"),
      get("projects.get?input=%7B%22id%22%3A%22not-a-uuid%22%7D", { authorization: "Bearer x.y.z" }),
      get("users.list?input=%7B%22limit%22%3A%22ten%22%7D"),
      get("auth.nope"),
    ];
    for (const res of await Promise.all(probes)) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it("refuses a text/plain POST with 415 and a foreign Origin with 403", async () => {
    const plain = await app.request(`${BASE}/api/trpc/auth.logout`, {
      method: "POST",
      headers: { "content-type": "text/plain", "x-forwarded-for": newIp() },
      body: "{}",
    });
    expect(plain.status).toBe(415);
    const foreign = await post("auth.login", { email: testEmail(), password: "x" }, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    const allowed = await post("auth.logout", {}, { origin: DASHBOARD });
    expect(allowed.status).toBe(200);
  });

  it("allows credentialed CORS from the dashboard origin only", async () => {
    const preflight = (origin: string) =>
      app.request(`${BASE}/api/trpc/auth.login`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const ok = await preflight(DASHBOARD);
    expect(ok.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    const evil = await preflight("https://evil.example");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers the 11th login of a minute from one IP with 429 and Retry-After", async () => {
    const ip = newIp();
    // Invalid input still counts (the limit runs before validation), and costs no password hashing.
    for (let i = 0; i < 10; i++) expect((await post("auth.login", {}, { "x-forwarded-for": ip })).status).toBe(400);
    const limited = await post("auth.login", {}, { "x-forwarded-for": ip });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another IP is unaffected.
    expect((await post("auth.login", {})).status).toBe(400);
  });

  it("answers the 6th registration of a minute from one IP with 429", async () => {
    const ip = newIp();
    for (let i = 0; i < 5; i++) expect((await post("auth.register", {}, { "x-forwarded-for": ip })).status).toBe(400);
    expect((await post("auth.register", {}, { "x-forwarded-for": ip })).status).toBe(429);
  });

  it("sets the cookies through a real server, with security headers", async () => {
    const server = startTestServer(t.services);
    try {
      const email = testEmail("real");
      const headers = { "content-type": "application/json", "x-forwarded-for": newIp() };
      await fetch(`${server.url}/api/trpc/auth.register`, {
        method: "POST",
        headers,
        body: JSON.stringify({ email, password: TEST_PASSWORD }),
      });
      const login = await fetch(`${server.url}/api/trpc/auth.login`, {
        method: "POST",
        headers,
        body: JSON.stringify({ email, password: TEST_PASSWORD }),
      });
      expect(login.status).toBe(200);
      expect(login.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      const names = login.headers.getSetCookie().map((c) => c.slice(0, c.indexOf("=")));
      expect(names.sort()).toEqual(["access_token", "logged_in", "refresh_token"]);
      const me = await fetch(`${server.url}/api/trpc/auth.me`, {
        headers: { cookie: `access_token=${cookieValues(login).access_token}`, "x-forwarded-for": newIp() },
      });
      expect(me.status).toBe(200);
      const anonymous = await fetch(`${server.url}/api/trpc/auth.me`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("x-content-type-options")).toBe("nosniff");
    } finally {
      await server.stop();
    }
  });
});
