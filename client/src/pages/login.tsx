/** Sign in: email and password, then back to the page the person wanted (or their projects). */
import { A, Navigate, useNavigate, useSearchParams } from "@solidjs/router";
import { useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, Show } from "solid-js";
import { AuthCard } from "../components/auth-card.tsx";
import { TextField } from "../components/field.tsx";
import { FormError } from "../components/query-boundary.tsx";
import { signedIn } from "../lib/auth-state.ts";
import { describeProblem } from "../lib/errors.ts";
import { safeNextPath } from "../lib/next-path.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { signIn } from "../lib/sign-in.ts";
import { trpc } from "../lib/trpc.ts";

export default function LoginPage() {
  usePageTitle(() => "Sign in");
  const resetMode = useQuery(() => ({
    queryKey: ["auth", "passwordResetMode"],
    queryFn: () => trpc.auth.passwordResetMode.query(),
    staleTime: 5 * 60_000,
  }));
  const [search] = useSearchParams<{ next?: string; registered?: string; reset?: string }>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = createSignal(
    typeof search.registered === "string" ? search.registered : typeof search.reset === "string" ? search.reset : "",
  );
  const [password, setPassword] = createSignal("");
  const [pending, setPending] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const next = () => safeNextPath(typeof search.next === "string" ? search.next : null);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      await signIn(queryClient, { email: email().trim(), password: password() });
      navigate(next(), { replace: true });
    } catch (caught) {
      setError(caught);
      setPending(false);
    }
  };
  const fields = () => (error() ? describeProblem(error()).fields : {});

  return (
    <Show when={!signedIn() || pending()} fallback={<Navigate href={next()} />}>
      <AuthCard
        title="Sign in"
        subtitle={
          <Show when={search.next} fallback="Welcome back.">
            Sign in to continue to that page.
          </Show>
        }
        footer={
          <>
            No account yet?{" "}
            <A class="link" href={search.next ? `/register?next=${encodeURIComponent(next())}` : "/register"}>
              Create one
            </A>
          </>
        }
      >
        <Show when={search.registered}>
          <p
            role="status"
            class="mb-4 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:(bg-emerald-950/50 text-emerald-300)"
          >
            Account created. Sign in to start.
          </p>
        </Show>
        <Show when={search.reset}>
          <p
            role="status"
            class="mb-4 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:(bg-emerald-950/50 text-emerald-300)"
          >
            Password changed. Sign in with the new one.
          </p>
        </Show>
        <form class="flex flex-col gap-4" onSubmit={(event) => void submit(event)} novalidate>
          <TextField
            label="Email"
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email()}
            onInput={(event) => setEmail(event.currentTarget.value)}
            error={fields().email}
          />
          <TextField
            label="Password"
            type="password"
            name="password"
            autocomplete="current-password"
            required
            value={password()}
            onInput={(event) => setPassword(event.currentTarget.value)}
            error={fields().password}
          />
          <FormError error={error()} />
          <button type="submit" class="btn-primary w-full" disabled={pending()}>
            {pending() ? "Signing in…" : "Sign in"}
          </button>
        </form>
        {/* By email where the server sends mail; otherwise whom to ask. */}
        <Show
          when={resetMode.data?.byEmail}
          fallback={
            <details class="mt-4 text-sm">
              <summary class="link cursor-pointer">Forgot password?</summary>
              <p class="mt-2 text-muted">
                Ask the administrator of this server to reset it: in the dashboard (Accounts), or on the server with{" "}
                <code class="font-mono">bun run admin -- reset-password &lt;your email&gt;</code>, which prints a new
                password and signs you out everywhere.
              </p>
            </details>
          }
        >
          <p class="mt-4 text-sm">
            <A class="link" href="/forgot-password">
              Forgot password?
            </A>
          </p>
        </Show>
      </AuthCard>
    </Show>
  );
}
