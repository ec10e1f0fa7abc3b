/**
 * Embedded mode (no DATABASE_URL, no REDIS_URL): accounts live in PGlite under DATA_DIR and survive a restart; the
 * generated secret key is kept there with owner-only permissions. Sessions live in process, so a restart signs
 * everyone out (never in): the old token is refused and signing in again works.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "../env.ts";
import { createServices, type Services } from "../services.ts";
import { anonymousCaller, callerWithToken, testEmail, TEST_PASSWORD } from "../test-support/auth.ts";

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
    // In-process sessions did not survive: the old token is refused, not accepted unchecked.
    const stale = await callerWithToken(services, before.accessToken);
    expect(stale.ctx.user).toBeNull();
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

  it("keeps the generated secret key readable by its owner only", async () => {
    const info = await stat(path.join(dataDir, "secret_key"));
    expect(info.mode & 0o777).toBe(0o600);
  });
});
