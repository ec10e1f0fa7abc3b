/**
 * Authenticates an HTTP request once, when its tRPC context is built. The access token comes from
 * `Authorization: Bearer <token>` (API clients) or else the `access_token` cookie (the dashboard). A token is
 * accepted only when its signature and claims are valid (tokens.ts), its login session is still live in the key
 * store (sessions.ts) and its user exists and is active. If the key store cannot be reached the token is refused:
 * revocation fails closed, and the 401 says why.
 */

import { findUserById } from "../queries/users/find-user-by-id.ts";
import type { Services } from "../services.ts";
import { readAuthCookies } from "./cookies.ts";
import { isSessionLive } from "./sessions.ts";
import { verifyToken } from "./tokens.ts";

/** The signed-in user as procedures see it (never a password hash). */
export interface AuthUser {
  id: string;
  email: string;
  fullName: string | null;
  isActive: boolean;
  isSuperuser: boolean;
  createdAt: Date;
}

export interface AuthSession {
  /** The login session id (the tokens' `sid`). */
  id: string;
}

export interface AuthResult {
  user: AuthUser | null;
  session: AuthSession | null;
  /** Why a presented token was refused; null when none was presented or it was accepted. */
  failure: string | null;
  /** The raw access token presented (logout ends its session even after it expired). */
  accessToken: string | null;
  /** The raw refresh-token cookie (sent by browsers only to auth.refresh). */
  refreshToken: string | null;
}

export const AUTH_FAILURES = {
  invalid: "Your session has expired or is not valid. Sign in again.",
  ended: "Your session has ended. Sign in again.",
  storeUnavailable:
    "Sign-in cannot be checked right now because the session store is unavailable, so the request is refused. Try again shortly.",
} as const;

function bearerToken(headers: Headers): string | null {
  const header = headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Resolves the caller of a request from its headers. */
export async function authenticateRequest(services: Services, headers: Headers): Promise<AuthResult> {
  const cookies = readAuthCookies(headers);
  const accessToken = bearerToken(headers) ?? cookies.accessToken;
  const anonymous = { user: null, session: null, accessToken, refreshToken: cookies.refreshToken };
  if (!accessToken) return { ...anonymous, failure: null };
  const result = await authenticateAccessToken(services, accessToken);
  return "failure" in result
    ? { ...anonymous, failure: result.failure }
    : { ...result, accessToken, refreshToken: cookies.refreshToken, failure: null };
}

/** Checks one access token; the building block of authenticateRequest, also usable by non-tRPC routes. */
export async function authenticateAccessToken(
  services: Services,
  token: string,
): Promise<{ user: AuthUser; session: AuthSession } | { failure: string }> {
  const claims = await verifyToken("access", token, services.secretKey);
  if (!claims) return { failure: AUTH_FAILURES.invalid };
  let live: boolean;
  try {
    live = await isSessionLive(services, { userId: claims.sub, sessionId: claims.sid });
  } catch (error) {
    services.logger.warn("session store unavailable; refusing the access token", { error });
    return { failure: AUTH_FAILURES.storeUnavailable };
  }
  if (!live) return { failure: AUTH_FAILURES.ended };
  const row = await findUserById(services.db, claims.sub);
  if (!row?.isActive) return { failure: AUTH_FAILURES.ended };
  return {
    user: {
      id: row.id,
      email: row.email,
      fullName: row.fullName,
      isActive: row.isActive,
      isSuperuser: row.isSuperuser,
      createdAt: row.createdAt,
    },
    session: { id: claims.sid },
  };
}
