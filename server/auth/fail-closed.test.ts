/**
 * Revocation fails closed: with the key store (a private redis-server) stopped, every token is refused with 401 and
 * a message that says why; sign-in answers 503; and when Redis comes back empty, old tokens stay refused (the
 * session store is an allowlist, so lost state signs people out rather than letting anyone in unchecked).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { LoginResult } from "../../shared/auth.ts";
import { createApp } from "../http/app.ts";
import { anonymousCaller, callerWithToken, TEST_PASSWORD, testEmail } from "../test-support/auth.ts";
import { type PrivateRedis, startPrivateRedis } from "../test-support/private-redis.ts";
import { createTestServices, type TestServices } from "../test-support/services.ts";
import { failure } from "../test-support/trpc-failure.ts";

// Setting up databases (and PGlite or a private redis-server) can take several seconds on a busy machine.
const HOOK_TIMEOUT_MS = 60_000;

// While Redis is down each key-store call fails only after the client's reconnect attempts (~2-4 s).
const OUTAGE_TIMEOUT_MS = 20_000;

let redis: PrivateRedis;
let t: TestServices;
let login: LoginResult;
let refreshToken: string;
let email: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  t = await createTestServices({ REDIS_URL: redis.url });
  email = testEmail("closed");
  const { caller, ctx } = anonymousCaller(t.services, { clientIp: "fail-closed" });
  await caller.auth.register({ email, password: TEST_PASSWORD });
  login = await caller.auth.login({ email, password: TEST_PASSWORD });
  refreshToken = ctx.resHeaders
    .getSetCookie()
    .find((c) => c.startsWith("refresh_token="))!
    .split(";")[0]!
    .slice("refresh_token=".length);
  expect((await (await callerWithToken(t.services, login.accessToken)).caller.auth.me()).id).toBe(login.user.id);
  await redis.stop();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await redis.start();
  await t.cleanup();
  await redis.stop();
}, HOOK_TIMEOUT_MS);

describe("token checks with the session store down", () => {
  it(
    "refuses a valid access token with 401 saying the store is unavailable",
    async () => {
      const { caller, ctx } = await callerWithToken(t.services, login.accessToken);
      const error = await failure(caller.auth.me());
      expect(error.code).toBe("UNAUTHORIZED");
      expect(error.message).toContain("session store is unavailable");
      expect(ctx.user).toBeNull();
    },
    OUTAGE_TIMEOUT_MS,
  );

  it(
    "refuses it over HTTP too",
    async () => {
      const res = await createApp(t.services).request("http://api.test/api/trpc/projects.list", {
        headers: { authorization: `Bearer ${login.accessToken}` },
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
        "session store is unavailable",
      );
    },
    OUTAGE_TIMEOUT_MS,
  );

  it(
    "refuses a refresh with 401",
    async () => {
      const { caller } = anonymousCaller(t.services, { refreshToken, clientIp: "fail-closed-refresh" });
      const error = await failure(caller.auth.refresh());
      expect(error.code).toBe("UNAUTHORIZED");
      expect(error.message).toContain("session store cannot be reached");
    },
    OUTAGE_TIMEOUT_MS,
  );

  it(
    "answers sign-in with 503 rather than skipping the lockout",
    async () => {
      const { caller } = anonymousCaller(t.services, { clientIp: "fail-closed-login" });
      const error = await failure(caller.auth.login({ email, password: TEST_PASSWORD }));
      expect(error.code).toBe("SERVICE_UNAVAILABLE");
    },
    OUTAGE_TIMEOUT_MS,
  );

  it(
    "keeps refusing old tokens when the store comes back empty",
    async () => {
      await redis.start();
      try {
        // ioredis reconnects with backoff; wait until the store answers again.
        const deadline = Date.now() + 10_000;
        for (;;) {
          try {
            await t.services.kv.ping();
            break;
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await Bun.sleep(100);
          }
        }
        const { caller, ctx } = await callerWithToken(t.services, login.accessToken);
        expect((await failure(caller.auth.me())).code).toBe("UNAUTHORIZED");
        expect(ctx.authFailure).toContain("session has ended");
      } finally {
        await redis.stop();
      }
    },
    OUTAGE_TIMEOUT_MS,
  );
});
