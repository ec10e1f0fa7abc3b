/**
 * The auth cookies (names, paths and lifetimes are documented in shared/auth.ts, where the dashboard reads them).
 * Written as Set-Cookie headers on the tRPC response headers; `Secure` and `SameSite` come from the configuration.
 */
import { type CookieOptions, parse, serialize } from "hono/utils/cookie";
import { AUTH_COOKIES, REFRESH_COOKIE_PATH } from "../../shared/auth.ts";
import type { Config } from "../env.ts";
import type { SessionTokens } from "./sessions.ts";

function base(config: Config): CookieOptions {
  return { secure: config.COOKIE_SECURE, sameSite: config.COOKIE_SAMESITE };
}

/** Sets the three cookies for a freshly issued token pair. */
export function setAuthCookies(headers: Headers, config: Config, tokens: SessionTokens): void {
  const accessMaxAge = config.ACCESS_TOKEN_EXPIRE_MINUTES * 60;
  const refreshMaxAge = config.REFRESH_TOKEN_EXPIRE_DAYS * 24 * 60 * 60;
  headers.append(
    "Set-Cookie",
    serialize(AUTH_COOKIES.accessToken, tokens.access.token, {
      ...base(config),
      httpOnly: true,
      path: "/",
      maxAge: accessMaxAge,
    }),
  );
  headers.append(
    "Set-Cookie",
    serialize(AUTH_COOKIES.refreshToken, tokens.refresh.token, {
      ...base(config),
      httpOnly: true,
      path: REFRESH_COOKIE_PATH,
      maxAge: refreshMaxAge,
    }),
  );
  // Carries no secret: it only tells the dashboard's scripts that a session exists.
  headers.append(
    "Set-Cookie",
    serialize(AUTH_COOKIES.loggedIn, "1", { ...base(config), httpOnly: false, path: "/", maxAge: refreshMaxAge }),
  );
}

/** Expires the three cookies (each on the path it was set with, or the browser keeps it). */
export function clearAuthCookies(headers: Headers, config: Config): void {
  const expired = { ...base(config), maxAge: 0, expires: new Date(0) };
  headers.append("Set-Cookie", serialize(AUTH_COOKIES.accessToken, "", { ...expired, httpOnly: true, path: "/" }));
  headers.append(
    "Set-Cookie",
    serialize(AUTH_COOKIES.refreshToken, "", { ...expired, httpOnly: true, path: REFRESH_COOKIE_PATH }),
  );
  headers.append("Set-Cookie", serialize(AUTH_COOKIES.loggedIn, "", { ...expired, httpOnly: false, path: "/" }));
}

/** The access and refresh token cookies of a request, if present. */
export function readAuthCookies(headers: Headers): { accessToken: string | null; refreshToken: string | null } {
  const header = headers.get("cookie");
  if (!header) return { accessToken: null, refreshToken: null };
  const cookies = parse(header);
  return {
    accessToken: cookies[AUTH_COOKIES.accessToken] || null,
    refreshToken: cookies[AUTH_COOKIES.refreshToken] || null,
  };
}
