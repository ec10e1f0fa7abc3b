import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createTestServices, type TestServices } from "../test-support/services.ts";
import {
  endSession,
  endUserSessions,
  isSessionLive,
  REFRESH_REUSE_GRACE_MS,
  type RotationResult,
  rotateSession,
  startSession,
} from "./sessions.ts";
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
      const [rotation] = await Promise.all([
        rotateSession(t.services, claims),
        endSession(t.services, tokens.sessionId),
      ]);
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

function rotatedTokens(result: RotationResult) {
  if (result.status !== "rotated") throw new Error(`expected a rotation, got ${result.status}`);
  return result.tokens;
}

// The grace must hold under true concurrency on both key stores: Redis (several API replicas) and the in-process one.
describe.each([
  ["Redis", { redis: true }],
  ["memory", { redis: false }],
] as const)("refresh reuse grace (%s key store)", (_name, storeOptions) => {
  let store: TestServices;
  beforeAll(async () => {
    store = await createTestServices({}, storeOptions);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await store.cleanup();
  }, HOOK_TIMEOUT_MS);

  const claimsOf = async (token: string) => (await verifyToken("refresh", token, store.services.secretKey))!;

  it("lasts 30 seconds", () => {
    expect(REFRESH_REUSE_GRACE_MS).toBe(30_000);
  });

  it("gives concurrent refreshes of one token the same successor pair, which stays the one usable token", async () => {
    const userId = crypto.randomUUID();
    const first = await startSession(store.services, userId);
    const claims = await claimsOf(first.refresh.token);
    const results = await Promise.all(Array.from({ length: 5 }, () => rotateSession(store.services, claims)));
    const pairs = results.map(rotatedTokens);
    expect(new Set(pairs.map((p) => p.refresh.token)).size).toBe(1);
    expect(new Set(pairs.map((p) => p.access.token)).size).toBe(1);
    expect(pairs[0]!.refresh.token).not.toBe(first.refresh.token);
    expect(await isSessionLive(store.services, { userId, sessionId: first.sessionId })).toBe(true);
    // The successor rotates in turn, once: its own grace then hands out its successor, never a second fork.
    const next = rotatedTokens(await rotateSession(store.services, await claimsOf(pairs[0]!.refresh.token)));
    expect(next.refresh.token).not.toBe(pairs[0]!.refresh.token);
    expect(await isSessionLive(store.services, { userId, sessionId: first.sessionId })).toBe(true);
  });

  it("ends the session when the old token comes back after the successor was used", async () => {
    const userId = crypto.randomUUID();
    const first = await startSession(store.services, userId);
    const successor = rotatedTokens(await rotateSession(store.services, await claimsOf(first.refresh.token)));
    rotatedTokens(await rotateSession(store.services, await claimsOf(successor.refresh.token)));
    expect((await rotateSession(store.services, await claimsOf(first.refresh.token))).status).toBe("reused");
    expect(await isSessionLive(store.services, { userId, sessionId: first.sessionId })).toBe(false);
  });

  it("ends the session when the old token is replayed after the grace window", async () => {
    const graceMs = 150;
    const userId = crypto.randomUUID();
    const first = await startSession(store.services, userId);
    const claims = await claimsOf(first.refresh.token);
    const successor = rotatedTokens(await rotateSession(store.services, claims, { graceMs }));
    // Within the window the replay is a second tab; after it, a copy.
    expect(rotatedTokens(await rotateSession(store.services, claims, { graceMs })).refresh.token).toBe(
      successor.refresh.token,
    );
    await Bun.sleep(graceMs + 100);
    expect((await rotateSession(store.services, claims, { graceMs })).status).toBe("reused");
    expect(await isSessionLive(store.services, { userId, sessionId: first.sessionId })).toBe(false);
    expect((await rotateSession(store.services, await claimsOf(successor.refresh.token), { graceMs })).status).not.toBe(
      "rotated",
    );
  });

  it("does not hand out the successor of a session that ended meanwhile", async () => {
    const userId = crypto.randomUUID();
    const first = await startSession(store.services, userId);
    const claims = await claimsOf(first.refresh.token);
    rotatedTokens(await rotateSession(store.services, claims));
    await endSession(store.services, first.sessionId);
    expect((await rotateSession(store.services, claims)).status).toBe("ended");
  });
});
