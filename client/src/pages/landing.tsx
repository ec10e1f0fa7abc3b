/** The front door for signed-out visitors; signed-in people go straight to their projects. */
import { A, Navigate } from "@solidjs/router";
import { For, Show } from "solid-js";
import { Brand } from "../components/brand.tsx";
import { signedIn } from "../lib/auth-state.ts";
import { usePageTitle } from "../lib/page-title.ts";

const FEATURES = [
  {
    title: "Exact numbers",
    text: "Unique sessions and users are counted over the whole range, in your timezone, late events included.",
  },
  { title: "Live", text: "Watch events arrive the moment they are stored, with a feed that reconnects by itself." },
  {
    title: "Yours",
    text: "Self-hosted on one Bun process or PostgreSQL and Redis. No cookies in your visitors' browsers.",
  },
  {
    title: "One snippet",
    text: "A tiny script with batching, retries and page-unload delivery. Or post JSON from any backend.",
  },
];

const BARS = [38, 52, 44, 61, 58, 72, 66, 81, 75, 92, 86, 98];

export default function LandingPage() {
  usePageTitle(() => undefined);
  return (
    <Show when={!signedIn()} fallback={<Navigate href="/projects" />}>
      <div class="min-h-screen">
        <header class="mx-auto flex h-16 max-w-6xl items-center justify-between px-4 sm:px-6">
          <Brand />
          <nav aria-label="Account" class="flex items-center gap-2">
            <A href="/login" class="btn-ghost">
              Sign in
            </A>
            <A href="/register" class="btn-primary">
              Create account
            </A>
          </nav>
        </header>
        <main>
          <section class="mx-auto grid max-w-6xl items-center gap-10 px-4 pb-16 pt-10 sm:px-6 lg:grid-cols-2 lg:pt-20">
            <div>
              <p class="text-sm font-semibold uppercase tracking-wider text-indigo-600 dark:text-indigo-400">
                Privacy-first product analytics
              </p>
              <h1 class="mt-3 text-4xl font-semibold tracking-tight sm:text-5xl">
                Know what people do in your product. Keep the data.
              </h1>
              <p class="mt-5 max-w-xl text-lg text-muted">
                Events, sessions and users in one fast dashboard you host yourself. Add one script tag and see the first
                event arrive live.
              </p>
              <div class="mt-8 flex flex-wrap gap-3">
                <A href="/register" class="btn-primary px-5 py-2.5 text-base">
                  Create account
                </A>
                <A href="/login" class="btn-secondary px-5 py-2.5 text-base">
                  Sign in
                </A>
              </div>
            </div>
            <div class="card p-5" aria-hidden="true">
              <div class="grid grid-cols-3 gap-3">
                <For
                  each={[
                    ["Events", "12.4k", "+18%"],
                    ["Sessions", "3.1k", "+9%"],
                    ["Users", "1.8k", "+12%"],
                  ]}
                >
                  {([label, value, change]) => (
                    <div class="rounded-lg bg-zinc-50 p-3 dark:bg-zinc-950">
                      <p class="text-xs text-muted">{label}</p>
                      <p class="mt-1 text-xl font-semibold tabular">{value}</p>
                      <p class="text-xs text-emerald-700 dark:text-emerald-400">{change}</p>
                    </div>
                  )}
                </For>
              </div>
              <div class="mt-5 flex h-40 items-end gap-1.5">
                <For each={BARS}>
                  {(height) => (
                    <div
                      class="flex-1 rounded-t bg-indigo-500/80 dark:bg-indigo-400/70"
                      style={{ height: `${height}%` }}
                    />
                  )}
                </For>
              </div>
            </div>
          </section>
          <section
            aria-labelledby="features"
            class="border-t border-zinc-200 bg-white py-16 dark:(border-zinc-800 bg-zinc-900/40)"
          >
            <div class="mx-auto max-w-6xl px-4 sm:px-6">
              <h2 id="features" class="text-2xl font-semibold tracking-tight">
                Everything a small team needs, nothing it has to babysit
              </h2>
              <div class="mt-8 grid gap-6 sm:grid-cols-2 lg:grid-cols-4">
                <For each={FEATURES}>
                  {(feature) => (
                    <div>
                      <h3 class="font-medium">{feature.title}</h3>
                      <p class="mt-2 text-sm text-muted">{feature.text}</p>
                    </div>
                  )}
                </For>
              </div>
            </div>
          </section>
        </main>
      </div>
    </Show>
  );
}
