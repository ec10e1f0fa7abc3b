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

const [signedOutOnPurpose, setSignedOutOnPurpose] = createSignal(false);

/** True after the person signed out themselves (not a session that ended): /login then carries no `next`. */
export { signedOutOnPurpose };

/**
 * Marks the session as gone: protected pages redirect to /login (SignedInLayout), with the page they were on as
 * `next` unless the person signed out on purpose. That redirect is the only navigation a sign-out makes: a second
 * one from the (then unmounting) account menu raced it and left a blank page now and then.
 */
export function markSignedOut(reason: "session-ended" | "signed-out" = "session-ended"): void {
  // A refresh failing after a deliberate sign-out (a request that was in flight) does not undo the purpose.
  if (reason === "signed-out") setSignedOutOnPurpose(true);
  setSignedIn(false);
}

export function markSignedIn(): void {
  setSignedOutOnPurpose(false);
  setSignedIn(true);
}
