/**
 * The secrets of read access given out by a project's admins (shared/sharing.ts):
 *   - share tokens: base64url of 32 random bytes, stored only as SHA-256 (like project API keys, server/auth/api-keys.ts);
 *   - share sessions: what a share page gets from shares.open and sends on each call. `<shareId>.<expiresMs>.<mac>`,
 *     the mac an HMAC-SHA256 under SECRET_KEY, so only this server makes them and each names exactly one share.
 *     A session proves the page was opened (with the password, if any); the share's row is still read on every call,
 *     so a revoked or expired share ends at the next request whatever sessions exist;
 *   - read keys: `read_` + base64url of 32 random bytes, stored only as SHA-256, with a short display prefix.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { READ_KEY_PREFIX } from "../../shared/sharing.ts";
import { hashApiKey } from "./api-keys.ts";

/** How long a share session lasts before the page must open the link again (and give the password again). */
export const SHARE_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const READ_KEY_DISPLAY_LENGTH = READ_KEY_PREFIX.length + 8;

const randomSecret = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

/** SHA-256 (hex) of a share token or read key: the only form in which they are stored and looked up. */
export const hashSecret = hashApiKey;

export function generateShareToken(): { token: string; tokenHash: string } {
  const token = randomSecret();
  return { token, tokenHash: hashSecret(token) };
}

export function generateReadKey(): { key: string; keyHash: string; keyPrefix: string } {
  const key = READ_KEY_PREFIX + randomSecret();
  return { key, keyHash: hashSecret(key), keyPrefix: key.slice(0, READ_KEY_DISPLAY_LENGTH) };
}

function sessionMac(secretKey: string, shareId: string, expiresMs: number): string {
  return createHmac("sha256", secretKey).update(`share-session:${shareId}.${expiresMs}`).digest("base64url");
}

export function signShareSession(secretKey: string, shareId: string, now = Date.now()): string {
  const expiresMs = now + SHARE_SESSION_TTL_MS;
  return `${shareId}.${expiresMs}.${sessionMac(secretKey, shareId, expiresMs)}`;
}

/** The share id a session names, or null when it is malformed, forged or expired. */
export function verifyShareSession(secretKey: string, session: string, now = Date.now()): string | null {
  const [shareId, expires, mac, ...rest] = session.split(".");
  if (!shareId || !expires || !mac || rest.length > 0 || !/^\d{1,16}$/.test(expires)) return null;
  const expiresMs = Number(expires);
  if (expiresMs <= now) return null;
  const expected = Buffer.from(sessionMac(secretKey, shareId, expiresMs));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return shareId;
}
