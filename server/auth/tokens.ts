/**
 * Access and refresh tokens: HS256 JWTs (hono/jwt, hono pinned at 4.13.19) with the algorithm pinned on verify, and
 * `iss`, `aud`, `exp`, `iat` checked. Each token names its login session (`sid`) and has its own id (`jti`). Access
 * and refresh tokens have different audiences, so one can never be used as the other.
 *
 * The signing key is derived from SECRET_KEY (HMAC with a fixed label) rather than used directly, because SECRET_KEY
 * also keys the daily IP hash: a key used for one purpose only cannot be turned against the other.
 *
 * A valid signature is not enough to be signed in: the session must still be live in the key store (sessions.ts).
 *
 * A token is a pure function of its claims and the key (HS256 is deterministic), so a rotation can sign the very same
 * successor pair again from its id and issue time alone: sessions.ts relies on this to answer a refresh that raced
 * another one without keeping any token in the store.
 */
import { sign, verify } from "hono/jwt";
import { z } from "zod";

const ALGORITHM = "HS256";
const ISSUER = "analytics-dashboard";
const AUDIENCES = {
  access: "analytics-dashboard/access",
  refresh: "analytics-dashboard/refresh",
} as const;

export type TokenKind = keyof typeof AUDIENCES;

export interface TokenClaims {
  /** The user id. */
  sub: string;
  /** The login session id. */
  sid: string;
  /** This token's id. */
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
}

const claimsSchema = z.object({
  sub: z.uuid(),
  sid: z.string().min(16).max(64),
  jti: z.string().min(16).max(64),
  exp: z.number().int(),
});

const signingKeys = new Map<string, string>();

/** The HMAC key for tokens, derived once per SECRET_KEY. */
function signingKey(secretKey: string): string {
  let key = signingKeys.get(secretKey);
  if (!key) {
    key = new Bun.CryptoHasher("sha256", secretKey)
      .update("analytics-dashboard/jwt-signing-key/v1")
      .digest("base64url");
    signingKeys.set(secretKey, key);
  }
  return key;
}

/** A random id for sessions and tokens (128 bits, base64url). */
export function randomId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
}

/**
 * A token id derived from `label` under SECRET_KEY (128 bits, base64url): the same label always gives the same id,
 * and nobody without the key can compute it. The label space is separate from the signing key's.
 */
export function deriveTokenId(secretKey: string, label: string): string {
  const digest = new Bun.CryptoHasher("sha256", secretKey).update(`analytics-dashboard/token-id/v1\0${label}`).digest();
  return Buffer.from(digest.subarray(0, 16)).toString("base64url");
}

/**
 * Signs a token of `kind` for a user's session, valid for `ttlSeconds`. `jti` and `issuedAt` (seconds since the
 * epoch) default to a random id and now; given both, the same call signs the same token again.
 */
export async function issueToken(
  kind: TokenKind,
  subject: { userId: string; sessionId: string },
  secretKey: string,
  ttlSeconds: number,
  options: { jti?: string; issuedAt?: number } = {},
): Promise<IssuedToken> {
  const now = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const jti = options.jti ?? randomId();
  const exp = now + ttlSeconds;
  const token = await sign(
    { iss: ISSUER, aud: AUDIENCES[kind], sub: subject.userId, sid: subject.sessionId, jti, iat: now, exp },
    signingKey(secretKey),
    ALGORITHM,
  );
  return { token, jti, expiresAt: new Date(exp * 1000) };
}

/**
 * The claims of a genuine, unexpired token of `kind`, or null for anything else (bad signature, other algorithm,
 * wrong audience or issuer, expired, malformed). `allowExpired` is for logout only: an expired access token still
 * proves which session to end.
 */
export async function verifyToken(
  kind: TokenKind,
  token: string,
  secretKey: string,
  options: { allowExpired?: boolean } = {},
): Promise<TokenClaims | null> {
  // A JWT of ours is a few hundred bytes; refuse to parse anything far larger.
  if (token.length > 4096) return null;
  let payload: unknown;
  try {
    payload = await verify(token, signingKey(secretKey), {
      alg: ALGORITHM,
      iss: ISSUER,
      aud: AUDIENCES[kind],
      exp: !options.allowExpired,
    });
  } catch (error) {
    // hono/jwt reports every reason a token is not acceptable as an error named Jwt*; anything else is a bug.
    if (error instanceof Error && error.name.startsWith("Jwt")) return null;
    throw error;
  }
  const claims = claimsSchema.safeParse(payload);
  return claims.success ? claims.data : null;
}
