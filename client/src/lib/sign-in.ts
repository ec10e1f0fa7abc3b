/** Signing in from the login and register pages: one place that starts the session in the UI. */
import type { QueryClient } from "@tanstack/solid-query";
import { markSignedIn } from "./auth-state.ts";
import { keys } from "./queries.ts";
import { trpc } from "./trpc.ts";

/** Calls auth.login (the server sets the cookies), drops anything cached for a previous account, marks signed in. */
export async function signIn(
  queryClient: QueryClient,
  credentials: { email: string; password: string },
): Promise<void> {
  const result = await trpc.auth.login.mutate(credentials);
  // Nothing cached for a previous account on this tab may show for this one.
  queryClient.clear();
  queryClient.setQueryData(keys.me(), result.user);
  markSignedIn();
}
