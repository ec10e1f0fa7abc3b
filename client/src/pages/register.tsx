/**
 * Create an account: optional full name, email, password (the rule ticked off as it is typed). On success the person
 * is signed in straight away; if that sign-in fails (e.g. rate limited), they land on /login with the email filled.
 */
import { A, Navigate, useNavigate, useSearchParams } from "@solidjs/router";
import { useQueryClient } from "@tanstack/solid-query";
import { createSignal, Show } from "solid-js";
import { AuthCard } from "../components/auth-card.tsx";
import { TextField } from "../components/field.tsx";
import { PasswordChecklist, passwordMeetsRules } from "../components/password-checklist.tsx";
import { FormError } from "../components/query-boundary.tsx";
import { signedIn } from "../lib/auth-state.ts";
import { describeProblem } from "../lib/errors.ts";
import { safeNextPath } from "../lib/next-path.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { signIn } from "../lib/sign-in.ts";
import { trpc } from "../lib/trpc.ts";

export default function RegisterPage() {
  usePageTitle(() => "Create account");
  const [search] = useSearchParams<{ next?: string; invitation?: string; email?: string }>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [fullName, setFullName] = createSignal("");
  // Arriving from an invitation link (/invite/<token>): the invited email, and the token that lets it register.
  const [email, setEmail] = createSignal(typeof search.email === "string" ? search.email : "");
  const invitationToken = () => (typeof search.invitation === "string" ? search.invitation : undefined);
  const [password, setPassword] = createSignal("");
  const [pending, setPending] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [showRuleError, setShowRuleError] = createSignal(false);
  const next = () => safeNextPath(typeof search.next === "string" ? search.next : null);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!passwordMeetsRules(password())) {
      setShowRuleError(true);
      return;
    }
    setPending(true);
    setError(null);
    const credentials = { email: email().trim(), password: password() };
    try {
      await trpc.auth.register.mutate({
        ...credentials,
        fullName: fullName().trim() || undefined,
        invitationToken: invitationToken(),
      });
    } catch (caught) {
      setError(caught);
      setPending(false);
      return;
    }
    try {
      await signIn(queryClient, credentials);
      navigate(next(), { replace: true });
    } catch (caught) {
      console.warn("sign-in after registration failed", caught);
      navigate(`/login?registered=${encodeURIComponent(credentials.email)}`, { replace: true });
    }
  };
  const fields = () => (error() ? describeProblem(error()).fields : {});

  return (
    <Show when={!signedIn() || pending()} fallback={<Navigate href={next()} />}>
      <AuthCard
        title="Create your account"
        subtitle="Track your product in minutes. Your data stays on your server."
        footer={
          <>
            Already have an account?{" "}
            <A class="link" href={search.next ? `/login?next=${encodeURIComponent(next())}` : "/login"}>
              Sign in
            </A>
          </>
        }
      >
        <form class="flex flex-col gap-4" onSubmit={(event) => void submit(event)} novalidate>
          <TextField
            label="Full name"
            name="fullName"
            autocomplete="name"
            hint="Optional"
            value={fullName()}
            onInput={(event) => setFullName(event.currentTarget.value)}
            error={fields().fullName}
          />
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
            autocomplete="new-password"
            required
            value={password()}
            onInput={(event) => setPassword(event.currentTarget.value)}
            error={
              showRuleError() && !passwordMeetsRules(password())
                ? "The password doesn't meet every requirement yet."
                : fields().password
            }
            below={<PasswordChecklist password={password()} />}
          />
          <FormError error={error()} />
          <button type="submit" class="btn-primary w-full" disabled={pending()}>
            {pending() ? "Creating account…" : "Create account"}
          </button>
        </form>
      </AuthCard>
    </Show>
  );
}
