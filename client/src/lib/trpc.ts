/**
 * The typed tRPC client. Cookies carry the session (same origin, so fetch sends them by default); nothing is kept in
 * localStorage. When a call answers UNAUTHORIZED, the client refreshes once through auth.refresh (concurrent failures
 * share that one refresh, and other tabs of the dashboard wait for it: refresh-across-tabs.ts) and replays the call;
 * if the refresh fails, the UI is marked signed out and protected pages send the person to /login, remembering where
 * they were.
 */
import { createTRPCClient, httpBatchLink, httpLink, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import type { AppRouter } from "../../../server/http/trpc/root.ts";
import { SHARE_SESSION_HEADER } from "../../../shared/sharing-constants.ts";
import { markSignedIn, markSignedOut } from "./auth-state.ts";
import { isUnauthorized } from "./errors.ts";
import { refreshAcrossTabs } from "./refresh-across-tabs.ts";

const API_URL = "/api/trpc";

/** Calls whose 401 means "wrong credentials" or "no session", not "expired access token". */
const NO_REFRESH_PATHS = new Set(["auth.login", "auth.register", "auth.refresh", "auth.logout"]);

/**
 * A share page's session (shares.open), sent on every call while set: the server then answers as that share, never
 * as whoever is signed in here. Kept in memory only; a reload opens the link again.
 */
let shareSession: string | null = null;
export function setShareSession(session: string | null): void {
  shareSession = session;
}

const refreshClient = createTRPCClient<AppRouter>({ links: [httpLink({ url: API_URL })] });

let refreshing: Promise<boolean> | null = null;

const callRefresh = () =>
  refreshClient.auth.refresh.mutate().then(
    () => true,
    () => false,
  );

/** One refresh at a time, across tabs too: every call that failed meanwhile waits for the same answer. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= refreshAcrossTabs(callRefresh, typeof navigator === "undefined" ? undefined : navigator.locks)
    .then((refreshed) => {
      // A session that could be refreshed is signed in, whatever an old cookie read said.
      if (refreshed) markSignedIn();
      return refreshed;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

const refreshOnUnauthorized: TRPCLink<AppRouter> =
  () =>
  ({ op, next }) =>
    observable((observer) => {
      let subscription = next(op).subscribe({
        next: (value) => observer.next(value),
        complete: () => observer.complete(),
        error: (error) => {
          // A share page has no login to refresh: its 401 means the share ended.
          if (!isUnauthorized(error) || NO_REFRESH_PATHS.has(op.path) || shareSession !== null) {
            observer.error(error);
            return;
          }
          void refreshSession().then((refreshed) => {
            if (!refreshed) {
              markSignedOut();
              observer.error(error);
              return;
            }
            subscription = next(op).subscribe({
              next: (value) => observer.next(value),
              complete: () => observer.complete(),
              error: (retryError) => {
                if (isUnauthorized(retryError)) markSignedOut();
                observer.error(retryError);
              },
            });
          });
        },
      });
      return () => subscription.unsubscribe();
    });

export const trpc = createTRPCClient<AppRouter>({
  links: [
    refreshOnUnauthorized,
    httpBatchLink({
      url: API_URL,
      maxURLLength: 4000,
      headers: (): Record<string, string> => (shareSession ? { [SHARE_SESSION_HEADER]: shareSession } : {}),
    }),
  ],
});
