/** Any path the app does not know. */
import { A } from "@solidjs/router";
import { signedIn } from "../lib/auth-state.ts";
import { usePageTitle } from "../lib/page-title.ts";

export default function NotFoundPage() {
  usePageTitle(() => "Page not found");
  return (
    <main class="flex min-h-screen flex-col items-center justify-center gap-4 px-4 text-center">
      <p class="text-sm font-semibold text-indigo-600 dark:text-indigo-400">404</p>
      <h1 class="text-2xl font-semibold tracking-tight">This page doesn't exist</h1>
      <p class="text-muted">Check the address, or go back to somewhere familiar.</p>
      <A href={signedIn() ? "/projects" : "/"} class="btn-primary">
        {signedIn() ? "Go to your projects" : "Go to the home page"}
      </A>
    </main>
  );
}
