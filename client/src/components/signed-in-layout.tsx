/**
 * The frame of every signed-in page: header (brand, navigation, account menu) and main area. Signed-out visitors
 * (no `logged_in` cookie, or a refresh that failed) are sent to /login with the page they wanted, so they come back
 * after signing in.
 */
import { A, Navigate, type RouteSectionProps, useLocation } from "@solidjs/router";
import { useQuery } from "@tanstack/solid-query";
import { createEffect, on, Show } from "solid-js";
import { signedIn } from "../lib/auth-state.ts";
import { loginUrlFor } from "../lib/next-path.ts";
import { meQuery } from "../lib/queries.ts";
import { AccountMenu } from "./account-menu.tsx";
import { Brand } from "./brand.tsx";

export default function SignedInLayout(props: RouteSectionProps) {
  const location = useLocation();
  return (
    <Show when={signedIn()} fallback={<Navigate href={loginUrlFor(location.pathname + location.search)} />}>
      <SignedInFrame>{props.children}</SignedInFrame>
    </Show>
  );
}

function SignedInFrame(props: { children: RouteSectionProps["children"] }) {
  const me = useQuery(() => ({ ...meQuery(), enabled: signedIn() }));
  const location = useLocation();
  let main: HTMLElement | undefined;
  // After client-side navigation, start keyboard and screen-reader users at the new page's content, as a full page
  // load would (query-string changes such as a new period stay where they are).
  createEffect(
    on(
      () => location.pathname,
      () => main?.focus({ preventScroll: true }),
      { defer: true },
    ),
  );
  const navClass =
    "focus-ring rounded-lg px-3 py-1.5 text-sm font-medium text-zinc-600 hover:(bg-zinc-100 text-zinc-900) dark:(text-zinc-400 hover:bg-zinc-800 hover:text-zinc-100)";
  const activeClass = "!bg-zinc-100 !text-zinc-900 dark:(!bg-zinc-800 !text-zinc-100)";
  return (
    <div class="flex min-h-screen flex-col">
      <a href="#main" class="sr-only focus:(not-sr-only fixed left-2 top-2 z-50 rounded bg-white px-3 py-2 shadow)">
        Skip to content
      </a>
      <header class="sticky top-0 z-20 border-b border-zinc-200 bg-white/85 backdrop-blur dark:(border-zinc-800 bg-zinc-950/85)">
        <div class="mx-auto flex h-14 max-w-7xl items-center gap-3 px-4 sm:px-6">
          <Brand href="/projects" compact />
          <nav aria-label="Main" class="flex items-center gap-1 sm:ml-2">
            <A href="/projects" class={navClass} activeClass={activeClass}>
              Projects
            </A>
            <A href="/teams" class={navClass} activeClass={activeClass}>
              Teams
            </A>
            <Show when={me.data?.isSuperuser}>
              {/* "Accounts": the server's logins, not the tracked people the dashboard calls Users. */}
              <A href="/admin/users" class={navClass} activeClass={activeClass}>
                Accounts
              </A>
            </Show>
          </nav>
          <div class="ml-auto">
            <Show when={me.data}>{(user) => <AccountMenu email={user().email} fullName={user().fullName} />}</Show>
          </div>
        </div>
      </header>
      <main
        ref={main}
        id="main"
        tabindex="-1"
        class="mx-auto w-full max-w-7xl flex-1 px-4 py-6 outline-none sm:px-6 sm:py-8"
      >
        {props.children}
      </main>
    </div>
  );
}
