/**
 * Project settings: share links (a read-only dashboard for people without an account, optionally with a password
 * and an expiry) and read keys (for the Stats API and export). A new link or key is shown once, right after it is
 * made; the lists show only what identifies them. Revoking takes effect at the next request.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { READ_KEY_SCOPES, type ReadKeyScope } from "../../../shared/sharing-constants.ts";
import { describeProblem } from "../lib/errors.ts";
import { keys, type ReadKeyOwner, readKeysQuery, sharesQuery } from "../lib/queries.ts";
import { trpc } from "../lib/trpc.ts";
import { CodeBlock } from "./copy-button.tsx";
import { TextField } from "./field.tsx";
import { FormError, QueryBoundary } from "./query-boundary.tsx";
import { Section } from "./settings-section.tsx";

const formatDate = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

function ShownOnce(props: { label: string; text: string }) {
  return (
    <div class="mt-4 flex flex-col gap-2">
      <p
        class="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:(bg-amber-950/40 text-amber-200)"
        role="note"
      >
        Copy it now: it is shown only once.
      </p>
      <CodeBlock label={props.label} text={props.text} copyLabel="Copy" />
    </div>
  );
}

/** The last cell of a share link's or read key's row: a Revoke button, or "Revoked" once it is. */
function RevokeCell(props: { revoked: boolean; pending: boolean; onRevoke: () => void }) {
  return (
    <td class="py-2">
      <Show when={!props.revoked} fallback={<span class="text-muted">Revoked</span>}>
        <button type="button" class="btn-secondary text-xs" disabled={props.pending} onClick={() => props.onRevoke()}>
          Revoke
        </button>
      </Show>
    </td>
  );
}

export function ShareLinksSection(props: { projectId: string }) {
  const queryClient = useQueryClient();
  const list = useQuery(() => sharesQuery(props.projectId));
  const [password, setPassword] = createSignal("");
  const [expiresOn, setExpiresOn] = createSignal("");
  const [created, setCreated] = createSignal<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.shares(props.projectId) });
  const create = useMutation(() => ({
    mutationFn: () =>
      trpc.shares.create.mutate({
        projectId: props.projectId,
        password: password() || undefined,
        expiresAt: expiresOn() ? new Date(`${expiresOn()}T23:59:59`).toISOString() : undefined,
      }),
    onSuccess: async (share) => {
      setCreated(`${window.location.origin}${share.url}`);
      setPassword("");
      setExpiresOn("");
      await refresh();
    },
  }));
  const revoke = useMutation(() => ({
    mutationFn: (id: string) => trpc.shares.revoke.mutate({ projectId: props.projectId, id }),
    onSuccess: refresh,
  }));
  const fields = () => (create.error ? describeProblem(create.error).fields : {});
  return (
    <Section
      title="Share links"
      description="A read-only dashboard of this project for anyone with the link: numbers only, nothing that names a person."
    >
      <form
        class="grid gap-4 sm:grid-cols-3"
        novalidate
        onSubmit={(event) => {
          event.preventDefault();
          setCreated(null);
          create.mutate();
        }}
      >
        <TextField
          label="Password"
          name="sharePassword"
          type="password"
          autocomplete="new-password"
          hint="Optional, at least 8 characters."
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
          error={fields().password}
        />
        <TextField
          label="Expires on"
          name="shareExpiresOn"
          type="date"
          hint="Optional."
          value={expiresOn()}
          onInput={(e) => setExpiresOn(e.currentTarget.value)}
          error={fields().expiresAt}
        />
        <div class="flex items-end">
          <button type="submit" class="btn-primary" disabled={create.isPending}>
            Create share link
          </button>
        </div>
      </form>
      <Show when={!Object.keys(fields()).length}>
        <FormError error={create.error} />
      </Show>
      <Show when={created()}>{(url) => <ShownOnce label="Share link" text={url()} />}</Show>
      <QueryBoundary query={list} label="Loading share links" skeletonClass="h-16 mt-4">
        {(shares) => (
          <Show when={shares().length > 0} fallback={<p class="mt-4 text-sm text-muted">No share links yet.</p>}>
            <table class="mt-4 w-full text-left text-sm">
              <thead class="text-xs text-muted">
                <tr>
                  <th class="py-1 font-medium">Created</th>
                  <th class="py-1 font-medium">Password</th>
                  <th class="py-1 font-medium">Expires</th>
                  <th class="py-1 font-medium">Status</th>
                </tr>
              </thead>
              <tbody>
                <For each={shares()}>
                  {(share) => (
                    <tr class="border-t border-zinc-100 dark:border-zinc-800">
                      <td class="py-2">{formatDate(share.createdAt)}</td>
                      <td class="py-2">{share.hasPassword ? "Yes" : "No"}</td>
                      <td class="py-2">{share.expiresAt ? formatDate(share.expiresAt) : "Never"}</td>
                      <RevokeCell
                        revoked={Boolean(share.revokedAt)}
                        pending={revoke.isPending}
                        onRevoke={() => revoke.mutate(share.id)}
                      />
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        )}
      </QueryBoundary>
      <FormError error={revoke.error} />
    </Section>
  );
}

const SCOPE_LABELS: Record<ReadKeyScope, string> = {
  "stats:read": "Stats API (stats:read)",
  "events:export": "Export events (events:export)",
};

/** A project's read keys (project settings) or a team's, which read every project of the team (team page). */
export function ReadKeysSection(props: { owner: ReadKeyOwner }) {
  const queryClient = useQueryClient();
  const list = useQuery(() => readKeysQuery(props.owner));
  const [name, setName] = createSignal("");
  const [scopes, setScopes] = createSignal<ReadKeyScope[]>(["stats:read"]);
  const [created, setCreated] = createSignal<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.readKeys(props.owner) });
  const create = useMutation(() => ({
    mutationFn: () => trpc.apiKeys.create.mutate({ ...props.owner, name: name().trim(), scopes: scopes() }),
    onSuccess: async (key) => {
      setCreated(key.key);
      setName("");
      await refresh();
    },
  }));
  const revoke = useMutation(() => ({
    mutationFn: (id: string) => trpc.apiKeys.revoke.mutate({ ...props.owner, id }),
    onSuccess: refresh,
  }));
  const fields = () => (create.error ? describeProblem(create.error).fields : {});
  const toggle = (scope: ReadKeyScope, on: boolean) =>
    setScopes((current) => (on ? [...new Set([...current, scope])] : current.filter((s) => s !== scope)));
  return (
    <Section
      title="Read keys"
      description={`Keys for scripts and other tools: the Stats API (/api/v1/docs) and the event export${
        "teamId" in props.owner ? ", for every project of this team (present and future)" : ""
      }. Send one as Authorization: Bearer read_…`}
    >
      <form
        class="flex flex-col gap-3"
        novalidate
        onSubmit={(event) => {
          event.preventDefault();
          setCreated(null);
          create.mutate();
        }}
      >
        <TextField
          label="Key name"
          name="readKeyName"
          maxLength={100}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
          error={fields().name}
        />
        <fieldset class="flex flex-wrap gap-4 text-sm">
          <legend class="field-label">Scopes</legend>
          <For each={READ_KEY_SCOPES}>
            {(scope) => (
              <label class="flex items-center gap-2">
                <input
                  type="checkbox"
                  name="scope"
                  value={scope}
                  checked={scopes().includes(scope)}
                  onChange={(e) => toggle(scope, e.currentTarget.checked)}
                />
                {SCOPE_LABELS[scope]}
              </label>
            )}
          </For>
        </fieldset>
        <Show when={fields().scopes}>
          <p class="text-sm text-red-600 dark:text-red-400">{fields().scopes}</p>
        </Show>
        <Show when={!Object.keys(fields()).length}>
          <FormError error={create.error} />
        </Show>
        <div>
          <button type="submit" class="btn-primary" disabled={create.isPending}>
            Create read key
          </button>
        </div>
      </form>
      <Show when={created()}>{(key) => <ShownOnce label="Read key" text={key()} />}</Show>
      <QueryBoundary query={list} label="Loading read keys" skeletonClass="h-16 mt-4">
        {(rows) => (
          <Show when={rows().length > 0} fallback={<p class="mt-4 text-sm text-muted">No read keys yet.</p>}>
            <table class="mt-4 w-full text-left text-sm">
              <thead class="text-xs text-muted">
                <tr>
                  <th class="py-1 font-medium">Name</th>
                  <th class="py-1 font-medium">Key</th>
                  <th class="py-1 font-medium">Scopes</th>
                  <th class="py-1 font-medium">Created</th>
                  <th class="py-1 font-medium">Last used</th>
                  <th class="py-1 font-medium">Status</th>
                </tr>
              </thead>
              <tbody>
                <For each={rows()}>
                  {(key) => (
                    <tr class="border-t border-zinc-100 dark:border-zinc-800">
                      <td class="py-2">{key.name}</td>
                      <td class="py-2 font-mono text-xs">{key.keyPrefix}…</td>
                      <td class="py-2">{key.scopes.join(", ")}</td>
                      <td class="py-2">{formatDate(key.createdAt)}</td>
                      <td class="py-2">{key.lastUsedAt ? formatDate(key.lastUsedAt) : "Never"}</td>
                      <RevokeCell
                        revoked={Boolean(key.revokedAt)}
                        pending={revoke.isPending}
                        onRevoke={() => revoke.mutate(key.id)}
                      />
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        )}
      </QueryBoundary>
      <FormError error={revoke.error} />
    </Section>
  );
}
