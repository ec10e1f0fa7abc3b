import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createTestServices, type TestServices } from "../test-support/services.ts";
import { endSession, endUserSessions, isSessionLive, rotateSession, startSession } from "./sessions.ts";
import { verifyToken } from "./tokens.ts";

// Setting up databases (and PGlite or a private redis-server) can take several seconds on a busy machine.
const HOOK_TIMEOUT_MS = 60_000;

let t: TestServices;

beforeAll(async () => {
  t = await createTestServices();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await t.cleanup();
}, HOOK_TIMEOUT_MS);

const refreshClaims = async (token: string) => (await verifyToken("refresh", token, t.services.secretKey))!;

describe("sessions", () => {
  it("never brings back a session that was ended while it was being refreshed", async () => {
    for (let i = 0; i < 25; i++) {
      const userId = crypto.randomUUID();
      const tokens = await startSession(t.services, userId);
      const claims = await refreshClaims(tokens.refresh.token);
      const [rotation] = await Promise.all([rotateSession(t.services, claims), endSession(t.services, tokens.sessionId)]);
      expect(await isSessionLive(t.services, { userId, sessionId: tokens.sessionId })).toBe(false);
      if (rotation.status === "rotated") {
        // The pair it issued is useless too.
        const next = await rotateSession(t.services, await refreshClaims(rotation.tokens.refresh.token));
        expect(next.status).not.toBe("rotated");
      }
    }
  });

  it("ends every session of a user but the one it keeps", async () => {
    const userId = crypto.randomUUID();
    const [kept, other] = await Promise.all([startSession(t.services, userId), startSession(t.services, userId)]);
    const stranger = await startSession(t.services, crypto.randomUUID());
    await endUserSessions(t.services, userId, { keepSessionId: kept.sessionId });
    expect(await isSessionLive(t.services, { userId, sessionId: kept.sessionId })).toBe(true);
    expect(await isSessionLive(t.services, { userId, sessionId: other.sessionId })).toBe(false);
    expect((await rotateSession(t.services, await refreshClaims(other.refresh.token))).status).toBe("ended");
    const strangerClaims = await refreshClaims(stranger.refresh.token);
    expect(await isSessionLive(t.services, { userId: strangerClaims.sub, sessionId: stranger.sessionId })).toBe(true);
    // Sessions started afterwards are unaffected.
    await Bun.sleep(2);
    const later = await startSession(t.services, userId);
    expect(await isSessionLive(t.services, { userId, sessionId: later.sessionId })).toBe(true);
  });

  it("does not accept a session id under another user's id", async () => {
    const tokens = await startSession(t.services, crypto.randomUUID());
    expect(await isSessionLive(t.services, { userId: crypto.randomUUID(), sessionId: tokens.sessionId })).toBe(false);
  });
});
