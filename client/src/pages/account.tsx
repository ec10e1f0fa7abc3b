/** The signed-in person's account: who they are, and changing their password (which ends their other sessions). */
import { useMutation, useQuery } from "@tanstack/solid-query";
import { createSignal, Show } from "solid-js";
import { TextField } from "../components/field.tsx";
import { PasswordChecklist, passwordMeetsRules } from "../components/password-checklist.tsx";
import { FormError, QueryBoundary } from "../components/query-boundary.tsx";
import { describeProblem } from "../lib/errors.ts";
import { formatDate } from "../lib/format.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { meQuery } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

export default function AccountPage() {
  usePageTitle(() => "Account");
  const me = useQuery(() => meQuery());
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [confirm, setConfirm] = createSignal("");
  const [localError, setLocalError] = createSignal("");
  const [done, setDone] = createSignal(false);
  const change = useMutation(() => ({
    mutationFn: () => trpc.users.changePassword.mutate({ currentPassword: current(), newPassword: next() }),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setConfirm("");
      setDone(true);
    },
  }));
  const fields = () => (change.error ? describeProblem(change.error).fields : {});
  return (
    <div class="mx-auto flex max-w-xl flex-col gap-6">
      <h1 class="text-2xl font-semibold tracking-tight">Account</h1>
      <QueryBoundary query={me} label="Loading your account">
        {(user) => (
          <section class="card p-5" aria-label="Profile">
            <dl class="grid gap-3 text-sm sm:grid-cols-[8rem_1fr]">
              <dt class="text-muted">Name</dt>
              <dd>{user().fullName || "–"}</dd>
              <dt class="text-muted">Email</dt>
              <dd class="break-all">{user().email}</dd>
              <dt class="text-muted">Role</dt>
              <dd>{user().isSuperuser ? "Administrator" : "Member"}</dd>
              <dt class="text-muted">Member since</dt>
              <dd>{formatDate(user().createdAt)}</dd>
            </dl>
          </section>
        )}
      </QueryBoundary>
      <section class="card p-5" aria-labelledby="change-password-title">
        <h2 id="change-password-title" class="text-base font-semibold">
          Change password
        </h2>
        <p class="mt-1 text-sm text-muted">You stay signed in here; your other sessions are signed out.</p>
        <form
          class="mt-4 flex flex-col gap-4"
          novalidate
          onSubmit={(event) => {
            event.preventDefault();
            setDone(false);
            if (!passwordMeetsRules(next()))
              return setLocalError("The new password doesn't meet every requirement yet.");
            if (next() !== confirm()) return setLocalError("The two new passwords are different.");
            setLocalError("");
            change.mutate();
          }}
        >
          <TextField
            label="Current password"
            type="password"
            autocomplete="current-password"
            value={current()}
            onInput={(e) => setCurrent(e.currentTarget.value)}
            error={fields().currentPassword}
          />
          <TextField
            label="New password"
            type="password"
            autocomplete="new-password"
            value={next()}
            onInput={(e) => setNext(e.currentTarget.value)}
            error={fields().newPassword}
            below={<PasswordChecklist password={next()} />}
          />
          <TextField
            label="Confirm new password"
            type="password"
            autocomplete="new-password"
            value={confirm()}
            onInput={(e) => setConfirm(e.currentTarget.value)}
          />
          <Show when={localError()}>
            <p role="alert" class="text-sm text-red-600 dark:text-red-400">
              {localError()}
            </p>
          </Show>
          <FormError error={Object.keys(fields()).length ? null : change.error} />
          <Show when={done()}>
            <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400">
              Password changed. Your other sessions were signed out.
            </p>
          </Show>
          <div>
            <button type="submit" class="btn-primary" disabled={change.isPending}>
              {change.isPending ? "Changing…" : "Change password"}
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}
