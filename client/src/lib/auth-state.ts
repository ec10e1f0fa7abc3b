/**
 * Whether the person is signed in, as far as the UI is concerned. The server sets a script-readable `logged_in`
 * cookie (no secret in it) next to the HttpOnly token cookies; the app never sees or stores a token. The signal starts
 * from the cookie and is switched off when a refresh fails or the person signs out, which sends protected pages to
 * /login.
 */
import { createSignal } from "solid-js";

export function readLoggedInCookie(cookieHeader: string = document.cookie): boolean {
  for (const part of cookieHeader.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "logged_in") {
      const value = rest.join("=").trim();
      return value !== "" && value !== "0" && value !== "false";
    }
  }
  return false;
}

const [signedIn, setSignedIn] = createSignal(typeof document === "undefined" ? false : readLoggedInCookie());

export { signedIn };

/** Marks the session as gone (a refresh failed): protected pages redirect to /login. */
export function markSignedOut(): void {
  setSignedIn(false);
}

export function markSignedIn(): void {
  setSignedIn(true);
}
