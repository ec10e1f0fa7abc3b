/**
 * "Forgot password?" when the server sends mail: the email is sent a single-use reset link. The answer is the same
 * whether or not the email has an account.
 */
import { A } from "@solidjs/router";
import { useMutation } from "@tanstack/solid-query";
import { createSignal, Show } from "solid-js";
import { AuthCard } from "../components/auth-card.tsx";
import { TextField } from "../components/field.tsx";
import { FormError } from "../components/query-boundary.tsx";
import { describeProblem } from "../lib/errors.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { trpc } from "../lib/trpc.ts";

export default function ForgotPasswordPage() {
  usePageTitle(() => "Forgot password");
  const [email, setEmail] = createSignal("");
  const request = useMutation(() => ({
    mutationFn: () => trpc.auth.requestPasswordReset.mutate({ email: email().trim() }),
  }));
  return (
    <AuthCard
      title="Forgot password"
      subtitle="We mail you a link to set a new one."
      footer={
        <A class="link" href="/login">
          Back to sign in
        </A>
      }
    >
      <Show
        when={!request.isSuccess}
        fallback={
          <p role="status" class="text-sm">
            If {email().trim()} has an account, a link is on its way. It works once, within an hour.
          </p>
        }
      >
        <form
          class="flex flex-col gap-4"
          novalidate
          onSubmit={(event) => {
            event.preventDefault();
            request.mutate();
          }}
        >
          <TextField
            label="Email"
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email()}
            onInput={(event) => setEmail(event.currentTarget.value)}
            error={request.error ? describeProblem(request.error).fields.email : undefined}
          />
          <FormError error={request.error && !describeProblem(request.error).fields.email ? request.error : null} />
          <button type="submit" class="btn-primary w-full" disabled={request.isPending}>
            Send the link
          </button>
        </form>
      </Show>
    </AuthCard>
  );
}
