/** The mailed reset link's page (/reset-password/<token>): a new password, then sign in with it. */
import { useNavigate, useParams } from "@solidjs/router";
import { useMutation } from "@tanstack/solid-query";
import { createSignal } from "solid-js";
import { AuthCard } from "../components/auth-card.tsx";
import { TextField } from "../components/field.tsx";
import { PasswordChecklist } from "../components/password-checklist.tsx";
import { FormError } from "../components/query-boundary.tsx";
import { describeProblem } from "../lib/errors.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { trpc } from "../lib/trpc.ts";

export default function ResetPasswordPage() {
  usePageTitle(() => "Set a new password");
  const params = useParams<{ token: string }>();
  const navigate = useNavigate();
  const [password, setPassword] = createSignal("");
  const reset = useMutation(() => ({
    mutationFn: () => trpc.auth.resetPasswordWithToken.mutate({ token: params.token, newPassword: password() }),
    onSuccess: ({ email }) => navigate(`/login?reset=${encodeURIComponent(email)}`, { replace: true }),
  }));
  return (
    <AuthCard title="Set a new password" subtitle="Every session of your account ends; sign in again afterwards.">
      <form
        class="flex flex-col gap-4"
        novalidate
        onSubmit={(event) => {
          event.preventDefault();
          reset.mutate();
        }}
      >
        <TextField
          label="New password"
          type="password"
          name="password"
          autocomplete="new-password"
          required
          value={password()}
          onInput={(event) => setPassword(event.currentTarget.value)}
          error={reset.error ? describeProblem(reset.error).fields.newPassword : undefined}
        />
        <PasswordChecklist password={password()} />
        <FormError error={reset.error && !describeProblem(reset.error).fields.newPassword ? reset.error : null} />
        <button type="submit" class="btn-primary w-full" disabled={reset.isPending}>
          Set password
        </button>
      </form>
    </AuthCard>
  );
}
