/**
 * Login sessions, kept in the key store (Redis, or in process in embedded mode). Invariants:
 *
 * - A session is live while `auth:session:<sid>` exists. Every access token is checked against it on every request,
 *   so ending a session (logout, refresh-token theft) stops its access tokens at once. The store is an allowlist:
 *   if it loses its data (a Redis flush) everyone is signed out, never let in unchecked. In embedded mode every
 *   `auth:` key here persists in the data folder (server/infra/persistent-key-store.ts), so a restart changes none.
 * - Store errors propagate. Callers refuse the token (fail closed); nothing here ever answers "live" on doubt.
 * - Each session has exactly one usable refresh token: `auth:refresh:<jti>` holds its session id and is consumed
 *   with an atomic GETDEL. A refresh token whose jti is gone while its session is still live was already used: that
 *   is theft (or a replay), and the whole session (its family of tokens) is ended.
 * - Reuse grace (Auth0's reuse interval, Okta's grace period): two tabs waking up present the same refresh token at
 *   once. Whoever first claims `auth:refresh-rotation:<jti>` (SET NX) rotates; every other request for that token
 *   within REFRESH_REUSE_GRACE_MS waits for the claim to be settled and gets the very same successor pair, so both
 *   tabs stay signed in and still exactly one refresh token is usable. The grace ends early once the successor
 *   itself was used (a replay then is reuse again), and never outlives the session.
 * - The claim stores no token: the successor's ids are derived from the old jti under SECRET_KEY and the claim keeps
 *   only their issue time, from which the waiting request signs the same pair again (tokens.ts). Reading the store
 *   therefore yields nothing usable, and the window is the claim's TTL, so it needs no clock of ours.
 * - Rotation replaces the refresh token at once; the access token it replaces stays valid for the rest of its short
 *   life (at most ACCESS_TOKEN_EXPIRE_MINUTES) while its session is live, so requests already in flight during a
 *   refresh do not fail. Ending the session stops every access token of it at once.
 * - Ending a session writes a tombstone first, then deletes the record. A rotation that rewrites the record re-reads
 *   the tombstone afterwards, so a refresh racing a revocation can never bring the session back.
 * - `auth:user-valid-after:<userId>` ends every session of a user that started earlier (password change or reset,
 *   account disabled): a session whose `validFrom` is older than the marker is dead. The marker outlives any session
 *   it could apply to (its TTL is the refresh lifetime plus a day; a session not refreshed for that long is gone).
 * - Ending sessions also announces it (access-revoked.ts), so open live feeds of those logins close at once, even when
 *   writing to the store failed (their re-check then decides).
 */

import { REFRESH_REUSE_GRACE_SECONDS } from "../../shared/auth.ts";
import type { Services } from "../services.ts";
import { publishAccessRevoked } from "./access-revoked.ts";
import { deriveTokenId, type IssuedToken, issueToken, randomId, type TokenClaims } from "./tokens.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long after a rotation the previous refresh token still answers with the same successor pair. */
export const REFRESH_REUSE_GRACE_MS = REFRESH_REUSE_GRACE_SECONDS * 1000;
/** How long a request that lost the claim waits for the winner's rotation (a few key-store round trips). */
const ROTATION_WAIT_MS = 5_000;
const ROTATION_POLL_MS = 15;
/** Values of the rotation claim besides the successor's issue time. */
const CLAIM_PENDING = "pending";
const CLAIM_ENDED = "ended";

interface SessionRecord {
  userId: string;
  /** When the session became valid (ms since the epoch); compared with the user's valid-after marker. */
  validFrom: number;
}

export interface SessionTokens {
  sessionId: string;
  access: IssuedToken;
  refresh: IssuedToken;
}

const keys = {
  session: (sid: string) => `auth:session:${sid}`,
  tombstone: (sid: string) => `auth:session-ended:${sid}`,
  refresh: (jti: string) => `auth:refresh:${jti}`,
  rotation: (jti: string) => `auth:refresh-rotation:${jti}`,
  userValidAfter: (userId: string) => `auth:user-valid-after:${userId}`,
};

function lifetimes(services: Services) {
  const accessSeconds = services.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60;
  const refreshSeconds = services.config.REFRESH_TOKEN_EXPIRE_DAYS * 24 * 60 * 60;
  return { accessSeconds, refreshSeconds, refreshMs: refreshSeconds * 1000 };
}

function parseRecord(raw: string | null): SessionRecord | null {
  if (!raw) return null;
  const value: unknown = JSON.parse(raw);
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as SessionRecord).userId === "string" &&
    typeof (value as SessionRecord).validFrom === "number"
  ) {
    return value as SessionRecord;
  }
  throw new Error("a session record in the key store has an unexpected shape");
}

/** The successor of a refresh token: ids derived from its jti, so the pair can be signed again from `issuedAt`. */
interface Successor {
  predecessorJti: string;
  /** Seconds since the epoch. */
  issuedAt: number;
}

function signPair(services: Services, userId: string, sessionId: string, successor?: Successor) {
  const { accessSeconds, refreshSeconds } = lifetimes(services);
  const subject = { userId, sessionId };
  const options = (kind: "access" | "refresh") => {
    if (!successor) return {};
    return {
      jti: deriveTokenId(services.secretKey, `successor/${kind}/${successor.predecessorJti}`),
      issuedAt: successor.issuedAt,
    };
  };
  return Promise.all([
    issueToken("access", subject, services.secretKey, accessSeconds, options("access")),
    issueToken("refresh", subject, services.secretKey, refreshSeconds, options("refresh")),
  ]);
}

async function issuePair(
  services: Services,
  userId: string,
  sessionId: string,
  successor?: Successor,
): Promise<SessionTokens> {
  const [access, refresh] = await signPair(services, userId, sessionId, successor);
  await services.kv.set(keys.refresh(refresh.jti), sessionId, lifetimes(services).refreshMs);
  return { sessionId, access, refresh };
}

/**
 * Writes (or rewrites, extending its lifetime) a session record, then checks that the session was not ended
 * meanwhile. Returns false, leaving no record behind, when it was.
 */
async function writeRecord(services: Services, sessionId: string, record: SessionRecord): Promise<boolean> {
  await services.kv.set(keys.session(sessionId), JSON.stringify(record), lifetimes(services).refreshMs);
  if (await services.kv.get(keys.tombstone(sessionId))) {
    await services.kv.del(keys.session(sessionId));
    return false;
  }
  return true;
}

async function readLiveRecord(services: Services, userId: string, sessionId: string): Promise<SessionRecord | null> {
  const [raw, validAfter] = await Promise.all([
    services.kv.get(keys.session(sessionId)),
    services.kv.get(keys.userValidAfter(userId)),
  ]);
  const record = parseRecord(raw);
  if (!record || record.userId !== userId) return null;
  if (validAfter !== null && record.validFrom < Number(validAfter)) return null;
  return record;
}

/** Starts a login session for a user and issues its first access and refresh tokens. */
export async function startSession(services: Services, userId: string): Promise<SessionTokens> {
  const sessionId = randomId();
  await writeRecord(services, sessionId, { userId, validFrom: Date.now() });
  return issuePair(services, userId, sessionId);
}

/** True when the session an access token names is still live. Rejects when the store cannot be reached. */
export async function isSessionLive(
  services: Services,
  subject: { userId: string; sessionId: string },
): Promise<boolean> {
  return (await readLiveRecord(services, subject.userId, subject.sessionId)) !== null;
}

export type RotationResult =
  | { status: "rotated"; tokens: SessionTokens }
  /** The token was already used: the session has been ended. */
  | { status: "reused" }
  /** The session is over (logged out, password changed, expired). */
  | { status: "ended" };

export interface RotationOptions {
  /** The reuse grace window; tests shorten it to see what happens after it. */
  graceMs?: number;
}

/** Exchanges a verified refresh token for a new pair; see the invariants above for reuse and its grace. */
export async function rotateSession(
  services: Services,
  claims: TokenClaims,
  { graceMs = REFRESH_REUSE_GRACE_MS }: RotationOptions = {},
): Promise<RotationResult> {
  const claim = keys.rotation(claims.jti);
  if (!(await services.kv.setIfAbsent(claim, CLAIM_PENDING, graceMs))) {
    return followRotation(services, claims, graceMs);
  }
  const issuedAt = Math.floor(Date.now() / 1000);
  // If this throws the claim stays pending: requests waiting on it give up with the same store error.
  const result = await rotateOnce(services, claims, { predecessorJti: claims.jti, issuedAt });
  await services.kv.set(claim, result.status === "rotated" ? String(issuedAt) : CLAIM_ENDED, graceMs);
  return result;
}

/** The rotation proper, run by the request holding the claim. */
async function rotateOnce(services: Services, claims: TokenClaims, successor: Successor): Promise<RotationResult> {
  const owner = await services.kv.take(keys.refresh(claims.jti));
  if (owner === null) {
    // Already consumed (or its session ended and cleaned up). If the session is still live, someone holds a copy.
    if (await isSessionLive(services, { userId: claims.sub, sessionId: claims.sid })) {
      await endSession(services, claims.sid);
      return { status: "reused" };
    }
    return { status: "ended" };
  }
  if (owner !== claims.sid) return { status: "ended" };
  const record = await readLiveRecord(services, claims.sub, claims.sid);
  if (!record) {
    await endSession(services, claims.sid);
    return { status: "ended" };
  }
  if (!(await writeRecord(services, claims.sid, record))) return { status: "ended" };
  return { status: "rotated", tokens: await issuePair(services, claims.sub, claims.sid, successor) };
}

/** For a request that lost the claim: waits for the winner, then answers with the same successor pair. */
async function followRotation(services: Services, claims: TokenClaims, graceMs: number): Promise<RotationResult> {
  const deadline = Date.now() + ROTATION_WAIT_MS;
  let settled = await services.kv.get(keys.rotation(claims.jti));
  while (settled === CLAIM_PENDING) {
    if (Date.now() > deadline) throw new Error("a concurrent refresh of the same token did not finish in time");
    await Bun.sleep(ROTATION_POLL_MS);
    settled = await services.kv.get(keys.rotation(claims.jti));
  }
  // The window closed between the claim and this read: the token is now simply one that was used before.
  if (settled === null) return rotateSession(services, claims, { graceMs });
  if (settled === CLAIM_ENDED) return { status: "ended" };
  const issuedAt = Number(settled);
  if (!Number.isSafeInteger(issuedAt)) throw new Error("a refresh rotation claim in the key store has an odd value");
  const [access, refresh] = await signPair(services, claims.sub, claims.sid, { predecessorJti: claims.jti, issuedAt });
  const [current, record] = await Promise.all([
    services.kv.get(keys.refresh(refresh.jti)),
    readLiveRecord(services, claims.sub, claims.sid),
  ]);
  if (!record) return { status: "ended" };
  if (current !== claims.sid) {
    // The successor was already used in turn: this old token is a replay, as after the grace window.
    await endSession(services, claims.sid);
    return { status: "reused" };
  }
  return { status: "rotated", tokens: { sessionId: claims.sid, access, refresh } };
}

/** Ends one session: its access tokens stop working at once and its refresh token can no longer rotate. */
export async function endSession(services: Services, sessionId: string): Promise<void> {
  try {
    await services.kv.set(keys.tombstone(sessionId), "1", lifetimes(services).refreshMs);
    await services.kv.del(keys.session(sessionId));
  } finally {
    await publishAccessRevoked(services, { sessionId, reason: "session-ended" });
  }
}

/**
 * Ends every session of a user, except `keepSessionId` when given (the session that changed the password stays
 * signed in).
 */
export async function endUserSessions(
  services: Services,
  userId: string,
  options: { keepSessionId?: string } = {},
): Promise<void> {
  // Sessions started in this very millisecond must end too (a clock tick is coarser than a login), so the marker is
  // the next millisecond: in doubt a session is ended, never kept.
  const validAfter = Date.now() + 1;
  try {
    // The kept session is re-stamped first, so it is never seen as older than the marker, not even for a moment.
    if (options.keepSessionId) {
      await writeRecord(services, options.keepSessionId, { userId, validFrom: validAfter });
    }
    await services.kv.set(keys.userValidAfter(userId), String(validAfter), lifetimes(services).refreshMs + DAY_MS);
  } finally {
    await publishAccessRevoked(services, { userId, reason: "sessions-ended" });
  }
}
