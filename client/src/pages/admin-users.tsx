/** The administrator's list of accounts: reset a password, delete an account (never their own). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { ConfirmDialog, Dialog } from "../components/dialog.tsx";
import { TextField } from "../components/field.tsx";
import { Pager } from "../components/pager.tsx";
import { PasswordChecklist, passwordMeetsRules } from "../components/password-checklist.tsx";
import { FormError, QueryBoundary } from "../components/query-boundary.tsx";
import { describeProblem } from "../lib/errors.ts";
import { formatDate } from "../lib/format.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { ADMIN_PAGE_SIZE, adminUsersQuery, keys, meQuery, type User } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";

export default function AdminUsersPage() {
  usePageTitle(() => "Accounts");
  const me = useQuery(() => meQuery());
  const [page, setPage] = createSignal(0);
  const users = useQuery(() => ({ ...adminUsersQuery(page()), enabled: me.data?.isSuperuser === true }));
  const [resetting, setResetting] = createSignal<User | null>(null);
  const [deleting, setDeleting] = createSignal<User | null>(null);
  const [notice, setNotice] = createSignal("");

  return (
    <div class="flex flex-col gap-6">
      <div>
        <h1 class="text-2xl font-semibold tracking-tight">Accounts</h1>
        <p class="text-sm text-muted">Everyone with an account on this server.</p>
      </div>
      <Show when={notice()}>
        <p
          role="status"
          class="rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:(bg-emerald-950/50 text-emerald-300)"
        >
          {notice()}
        </p>
      </Show>
      <QueryBoundary query={me} label="Loading your account">
        {(self) => (
          <Show
            when={self().isSuperuser}
            fallback={
              <p role="alert" class="card p-5 text-sm">
                Only the administrator can manage users. Ask them if you need an account changed.
              </p>
            }
          >
            <QueryBoundary query={users} label="Loading accounts" skeletonClass="h-64">
              {(list) => (
                <section class="card p-4" aria-label="User accounts">
                  <section
                    class="focus-ring -mx-4 overflow-x-auto rounded sm:mx-0"
                    tabindex="0"
                    aria-label="User accounts table"
                  >
                    <table class="min-w-full text-sm">
                      <caption class="sr-only">User accounts</caption>
                      <thead class="border-b border-zinc-200 text-left text-xs uppercase tracking-wide text-muted dark:border-zinc-800">
                        <tr>
                          <th scope="col" class="px-3 py-2 font-medium">
                            Email
                          </th>
                          <th scope="col" class="px-3 py-2 font-medium">
                            Name
                          </th>
                          <th scope="col" class="px-3 py-2 font-medium">
                            Role
                          </th>
                          <th scope="col" class="px-3 py-2 font-medium">
                            Created
                          </th>
                          <th scope="col" class="px-3 py-2 font-medium">
                            <span class="sr-only">Actions</span>
                          </th>
                        </tr>
                      </thead>
                      <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                        <For each={list().items}>
                          {(user) => (
                            <tr>
                              <td class="max-w-64 truncate px-3 py-2" title={user.email}>
                                {user.email}
                              </td>
                              <td class="max-w-48 truncate px-3 py-2">{user.fullName || "–"}</td>
                              <td class="whitespace-nowrap px-3 py-2">
                                {user.isSuperuser ? "Administrator" : "Member"}
                                {user.isActive ? "" : " (disabled)"}
                              </td>
                              <td class="whitespace-nowrap px-3 py-2 text-muted">{formatDate(user.createdAt)}</td>
                              <td class="whitespace-nowrap px-3 py-2 text-right">
                                <div class="flex justify-end gap-2">
                                  <button
                                    type="button"
                                    class="btn-secondary px-2.5 py-1 text-xs"
                                    onClick={() => setResetting(user)}
                                    aria-label={`Reset password of ${user.email}`}
                                  >
                                    Reset password
                                  </button>
                                  <button
                                    type="button"
                                    class="btn-ghost px-2.5 py-1 text-xs text-red-600 dark:text-red-400"
                                    disabled={user.id === self().id}
                                    title={user.id === self().id ? "You cannot delete your own account" : undefined}
                                    onClick={() => setDeleting(user)}
                                    aria-label={`Delete ${user.email}`}
                                  >
                                    Delete
                                  </button>
                                </div>
                              </td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </section>
                  <Pager
                    label="Accounts"
                    page={page()}
                    pageSize={ADMIN_PAGE_SIZE}
                    count={list().items.length}
                    total={list().total}
                    busy={users.isFetching}
                    onPage={setPage}
                  />
                </section>
              )}
            </QueryBoundary>
          </Show>
        )}
      </QueryBoundary>
      <ResetPasswordDialog
        user={resetting()}
        onClose={() => setResetting(null)}
        onDone={(email) => setNotice(`Password of ${email} reset.`)}
      />
      <DeleteUserDialog
        user={deleting()}
        onClose={() => setDeleting(null)}
        onDone={(email) => setNotice(`${email} deleted.`)}
      />
    </div>
  );
}

function ResetPasswordDialog(props: { user: User | null; onClose: () => void; onDone: (email: string) => void }) {
  const [password, setPassword] = createSignal("");
  const reset = useMutation(() => ({
    mutationFn: (input: { id: string; newPassword: string }) => trpc.users.resetPassword.mutate(input),
    onSuccess: () => {
      props.onDone(props.user?.email ?? "");
      close();
    },
  }));
  const close = () => {
    setPassword("");
    reset.reset();
    props.onClose();
  };
  return (
    <Dialog open={props.user !== null} title={`Reset password of ${props.user?.email ?? ""}`} onClose={close}>
      <form
        class="flex flex-col gap-4"
        novalidate
        onSubmit={(event) => {
          event.preventDefault();
          if (props.user && passwordMeetsRules(password()))
            reset.mutate({ id: props.user.id, newPassword: password() });
        }}
      >
        <p class="text-sm text-muted">Their current sessions end; tell them the new password through a safe channel.</p>
        <TextField
          label="New password"
          type="password"
          autocomplete="new-password"
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
          error={reset.error ? describeProblem(reset.error).fields.newPassword : undefined}
          below={<PasswordChecklist password={password()} />}
        />
        <FormError error={reset.error} />
        <div class="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <button type="button" class="btn-secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" class="btn-primary" disabled={!passwordMeetsRules(password()) || reset.isPending}>
            {reset.isPending ? "Resetting…" : "Reset password"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteUserDialog(props: { user: User | null; onClose: () => void; onDone: (email: string) => void }) {
  const queryClient = useQueryClient();
  const remove = useMutation(() => ({
    mutationFn: (id: string) => trpc.users.delete.mutate({ id }),
    onSuccess: async () => {
      props.onDone(props.user?.email ?? "");
      await queryClient.invalidateQueries({ queryKey: keys.adminUsers() });
      props.onClose();
    },
  }));
  return (
    <ConfirmDialog
      open={props.user !== null}
      title="Delete this account?"
      confirmLabel="Delete account"
      danger
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => props.user && remove.mutate(props.user.id)}
      onClose={() => {
        remove.reset();
        props.onClose();
      }}
    >
      <p>
        {props.user?.email} will no longer be able to sign in, and their projects and events are deleted. This cannot be
        undone.
      </p>
    </ConfirmDialog>
  );
}
