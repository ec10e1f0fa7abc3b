/**
 * Embedded mode (no DATABASE_URL, no REDIS_URL): accounts live in PGlite under DATA_DIR and survive a restart; the
 * generated secret key is kept there with owner-only permissions. Login state (sessions, refresh-token ids,
 * tombstones, valid-after markers) persists there too (server/infra/persistent-key-store.ts), so a restart keeps
 * every login as it was: the live ones still work, the revoked ones stay revoked.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "../env.ts";
import { type RunningServer, startHttpServer } from "../http/serve.ts";
import { createServices, type Services } from "../services.ts";
import { anonymousCaller, callerWithToken, TEST_PASSWORD, testEmail } from "../test-support/auth.ts";
import { endUserSessions, rotateSession } from "./sessions.ts";
import { verifyToken } from "./tokens.ts";

// Setting up databases (and PGlite or a private redis-server) can take several seconds on a busy machine.
const HOOK_TIMEOUT_MS = 60_000;

let dataDir: string;
let services: Services | null = null;

// PGlite's first start takes a few seconds (WASM compile and initdb).
const config = () => parseConfig({ NODE_ENV: "test", DATA_DIR: dataDir, LOG_LEVEL: "silent", COOKIE_SECURE: "false" });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "ad-embedded-"));
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await services?.close();
  await rm(dataDir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

describe("embedded mode", () => {
  it("keeps accounts across a restart on the same data folder", async () => {
    services = await createServices(config());
    expect(services.database.kind).toBe("pglite");
    expect(services.redis).toBeNull();
    const email = testEmail("embedded");
    const first = anonymousCaller(services, { clientIp: "embedded-1" }).caller;
    const user = await first.auth.register({ email, password: TEST_PASSWORD });
    expect(user.isSuperuser).toBe(true);
    const before = await first.auth.login({ email, password: TEST_PASSWORD });
    const secretBefore = services.secretKey;
    await services.close();

    services = await createServices(config());
    expect(services.secretKey).toBe(secretBefore);
    const kept = await callerWithToken(services, before.accessToken);
    expect(kept.ctx.user?.id).toBe(user.id);
    const again = await anonymousCaller(services, { clientIp: "embedded-2" }).caller.auth.login({
      email: email.toUpperCase(),
      password: TEST_PASSWORD,
    });
    expect(again.user.id).toBe(user.id);
    const { caller } = await callerWithToken(services, again.accessToken);
    expect((await caller.auth.me()).email).toBe(email);
    // PGlite reports the case-insensitive unique index like PostgreSQL does.
    const duplicate = anonymousCaller(services, { clientIp: "embedded-3" }).caller.auth.register({
      email: email.toUpperCase(),
      password: TEST_PASSWORD,
    });
    await expect(duplicate).rejects.toMatchObject({ code: "CONFLICT" });
  }, 60_000);

  it("keeps live logins signed in and revoked ones signed out across a restart", async () => {
    services = await createServices(config());
    const email = testEmail("restart");
    const anonymous = anonymousCaller(services, { clientIp: "embedded-restart" }).caller;
    await anonymous.auth.register({ email, password: TEST_PASSWORD });
    const liveCaller = anonymousCaller(services, { clientIp: "embedded-restart" });
    const live = await liveCaller.caller.auth.login({ email, password: TEST_PASSWORD });
    const liveRefreshToken = refreshCookie(liveCaller.ctx.resHeaders);
    const revoked = await anonymous.auth.login({ email, password: TEST_PASSWORD });
    await (await callerWithToken(services, revoked.accessToken)).caller.auth.logout();
    // A second account whose sessions all end through its "valid after" marker (a password reset, say).
    const otherEmail = testEmail("restart-other");
    const other = await anonymous.auth.register({ email: otherEmail, password: TEST_PASSWORD });
    const otherLogin = await anonymous.auth.login({ email: otherEmail, password: TEST_PASSWORD });
    await endUserSessions(services, other.id);
    // Keys the auth code adds later (a refresh grace record, say) persist by namespace, with no change here.
    await services.kv.set("auth:refresh-grace:example", "successor", 60_000);
    const liveRefresh = (await verifyToken("refresh", liveRefreshToken, services.secretKey))!;
    await services.close();

    services = await createServices(config());
    let server: RunningServer | null = null;
    try {
      server = startHttpServer(services, { port: 0, hostname: "127.0.0.1" });
      expect(await meStatus(server, live.accessToken)).toBe(200);
      expect(await meStatus(server, revoked.accessToken)).toBe(401);
      expect(await meStatus(server, otherLogin.accessToken)).toBe(401);
      expect(await services.kv.get("auth:refresh-grace:example")).toBe("successor");
      // The live login's refresh token still rotates, exactly once.
      expect((await rotateSession(services, liveRefresh)).status).toBe("rotated");
    } finally {
      await server?.stop();
    }
  }, 60_000);

  it("keeps the generated secret key readable by its owner only", async () => {
    const info = await stat(path.join(dataDir, "secret_key"));
    expect(info.mode & 0o777).toBe(0o600);
  });
});

/** The refresh token auth.login set as a cookie. */
function refreshCookie(headers: Headers): string {
  const cookie = headers.getSetCookie().find((c) => c.startsWith("refresh_token="));
  if (!cookie) throw new Error("login set no refresh cookie");
  return decodeURIComponent(cookie.slice("refresh_token=".length, cookie.indexOf(";")));
}

async function meStatus(server: RunningServer, accessToken: string): Promise<number> {
  const res = await fetch(`${server.url}/api/trpc/auth.me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return res.status;
}
