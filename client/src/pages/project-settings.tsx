/**
 * Project settings: rename (saved at once) and domain (a new or changed domain, which stops other sites' events, after
 * a confirmation: only what can break something asks first), the snippet, key rotation (the old key stops
 * working at once; the new one is shown once), bot filtering (a switch saved at once), share links and read keys
 * (sharing-sections.tsx) and deletion (type the name to confirm).
 */

import { A, useNavigate, useParams } from "@solidjs/router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { roleAtLeast } from "../../../shared/roles.ts";
import { ApiKeyReveal } from "../components/api-key-reveal.tsx";
import { CodeBlock } from "../components/copy-button.tsx";
import { ConfirmDialog } from "../components/dialog.tsx";
import { TextField } from "../components/field.tsx";
import { FormError, QueryBoundary } from "../components/query-boundary.tsx";
import { Section } from "../components/settings-section.tsx";
import { ReadKeysSection, ShareLinksSection } from "../components/sharing-sections.tsx";
import { describeProblem } from "../lib/errors.ts";
import { forgetFreshKey, freshKey, rememberFreshKey } from "../lib/fresh-keys.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { keys, type Project, projectQuery } from "../lib/queries.ts";
import { KEY_PLACEHOLDER, trackingSnippet } from "../lib/snippet.ts";
import { trpc } from "../lib/trpc.ts";

export default function ProjectSettingsPage() {
  const params = useParams<{ id: string }>();
  const project = useQuery(() => projectQuery(params.id));
  usePageTitle(() => (project.data ? `Settings of ${project.data.name}` : "Settings"));
  return (
    <QueryBoundary query={project} label="Loading the project" skeletonClass="h-64">
      {(p) => (
        <div class="mx-auto flex max-w-3xl flex-col gap-6">
          <div>
            <nav aria-label="Breadcrumb" class="text-xs text-muted">
              <A href="/projects" class="link">
                Projects
              </A>{" "}
              /{" "}
              <A href={`/projects/${p().id}`} class="link">
                {p().name}
              </A>{" "}
              / Settings
            </nav>
            <h1 class="mt-1 text-2xl font-semibold tracking-tight">Settings</h1>
          </div>
          {/* Settings and the key are an admin's, deletion an owner's (the server enforces it whatever shows). */}
          <Show
            when={roleAtLeast(p().role, "admin")}
            fallback={
              <p class="card p-5 text-sm text-muted">
                Your role in this project's team is {p().role}: its settings are for admins and owners.
              </p>
            }
          >
            <GeneralSection project={p()} />
            <RetentionSection project={p()} />
          </Show>
          <SnippetSection project={p()} />
          <Show when={roleAtLeast(p().role, "admin")}>
            <ApiKeySection project={p()} />
            <BotFilteringSection project={p()} />
            <ShareLinksSection projectId={p().id} />
            <ReadKeysSection owner={{ projectId: p().id }} />
          </Show>
          <Show when={roleAtLeast(p().role, "owner")}>
            <DeleteSection project={p()} />
          </Show>
        </div>
      )}
    </QueryBoundary>
  );
}

/** Bot filtering on or off; the worker follows from its next batch (README "Bots"). */
function BotFilteringSection(props: { project: Project }) {
  const queryClient = useQueryClient();
  const save = useMutation(() => ({
    mutationFn: (botFiltering: boolean) => trpc.projects.update.mutate({ id: props.project.id, botFiltering }),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.project(props.project.id), updated);
    },
  }));
  return (
    <Section
      title="Bot filtering"
      description="Events from known bots, crawlers and headless browsers are left out of every figure and only counted (shown on the dashboard). Server-side events without a browser user agent are always kept."
    >
      <label class="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          name="botFiltering"
          checked={props.project.botFiltering}
          disabled={save.isPending}
          onChange={(e) => save.mutate(e.currentTarget.checked)}
        />
        Filter out bots and crawlers
      </label>
      <FormError error={save.error} />
    </Section>
  );
}

function GeneralSection(props: { project: Project }) {
  const queryClient = useQueryClient();
  const [name, setName] = createSignal(props.project.name);
  const [domain, setDomain] = createSignal(props.project.domain ?? "");
  const [confirming, setConfirming] = createSignal(false);
  const [saved, setSaved] = createSignal(false);
  const changes = () => {
    const list: string[] = [];
    if (name().trim() !== props.project.name) list.push(`name to “${name().trim()}”`);
    if ((domain().trim() || null) !== props.project.domain)
      list.push(domain().trim() ? `domain to ${domain().trim()}` : "remove the domain");
    return list;
  };
  /** A new or changed domain: browsers on other sites stop being able to send events. */
  const restrictsSites = () => Boolean(domain().trim()) && (domain().trim() || null) !== props.project.domain;
  const save = useMutation(() => ({
    mutationFn: () =>
      trpc.projects.update.mutate({ id: props.project.id, name: name().trim(), domain: domain().trim() || null }),
    onSuccess: async (updated) => {
      queryClient.setQueryData(keys.project(props.project.id), updated);
      await queryClient.invalidateQueries({ queryKey: keys.projectList() });
      setConfirming(false);
      setSaved(true);
    },
  }));
  const fields = () => (save.error ? describeProblem(save.error).fields : {});
  return (
    <Section
      title="General"
      description="The name is shown in your dashboard; the domain limits which sites can send events with this key."
    >
      <form
        class="grid gap-4 sm:grid-cols-2"
        novalidate
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          save.reset();
          if (!changes().length) return;
          if (restrictsSites()) setConfirming(true);
          else save.mutate();
        }}
      >
        <TextField
          label="Name"
          name="name"
          required
          maxLength={100}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
          error={fields().name}
        />
        <TextField
          label="Domain"
          name="domain"
          placeholder="example.com"
          hint="Optional. Leave empty to accept events from any site."
          value={domain()}
          onInput={(e) => setDomain(e.currentTarget.value)}
          error={fields().domain}
        />
        <div class="flex items-center gap-3 sm:col-span-2">
          <button type="submit" class="btn-primary" disabled={changes().length === 0}>
            Save changes
          </button>
          <Show when={saved()}>
            <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400">
              Changes saved.
            </p>
          </Show>
          {/* A save without the dialog (a rename) reports a failure that names no field here. */}
          <Show when={!confirming() && save.error && !Object.keys(fields()).length ? save.error : null}>
            {(error) => (
              <p role="alert" class="text-sm text-red-600 dark:text-red-400">
                {describeProblem(error()).message}
              </p>
            )}
          </Show>
        </div>
      </form>
      <ConfirmDialog
        open={confirming()}
        title="Save changes?"
        confirmLabel="Save"
        pending={save.isPending}
        error={Object.keys(fields()).length ? null : save.error}
        onConfirm={() => save.mutate()}
        onClose={() => setConfirming(false)}
      >
        <p>This will change the project's {changes().join(" and ")}.</p>
        <Show when={restrictsSites()}>
          <p class="mt-2">Browsers on other sites will no longer be able to send events with this project's key.</p>
        </Show>
      </ConfirmDialog>
    </Section>
  );
}

const RETENTION_CHOICES = [30, 90, 180, 365, 730] as const;

/** How long raw events are kept (projects.update's retentionDays, keepAggregatesPastRetention). */
function RetentionSection(props: { project: Project }) {
  const queryClient = useQueryClient();
  const [days, setDays] = createSignal<string>(props.project.retentionDays ? String(props.project.retentionDays) : "");
  const [keep, setKeep] = createSignal(props.project.keepAggregatesPastRetention);
  const [saved, setSaved] = createSignal(false);
  const save = useMutation(() => ({
    mutationFn: () =>
      trpc.projects.update.mutate({
        id: props.project.id,
        retentionDays: days() ? (Number(days()) as (typeof RETENTION_CHOICES)[number]) : null,
        keepAggregatesPastRetention: keep(),
      }),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.project(props.project.id), updated);
      setSaved(true);
    },
  }));
  return (
    <Section
      title="Data retention"
      description="Raw events older than this are removed every few seconds by the worker, in small batches. People whose events are all older look new when they return."
    >
      <form
        class="flex flex-col gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          save.mutate();
        }}
      >
        <label class="flex flex-col gap-1 text-sm">
          <span class="font-medium">Keep raw events</span>
          <select
            class="field-input max-w-xs"
            value={days()}
            onChange={(event) => setDays(event.currentTarget.value)}
            name="retentionDays"
          >
            <option value="">Forever</option>
            <For each={RETENTION_CHOICES}>{(choice) => <option value={String(choice)}>{choice} days</option>}</For>
          </select>
        </label>
        <label class="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={keep()} onChange={(event) => setKeep(event.currentTarget.checked)} />
          <span>
            Keep aggregates past retention: unfiltered totals, charts and top lists of older ranges stay; filtered
            figures, sessions, users and people only cover the kept events.
          </span>
        </label>
        <div class="flex items-center gap-3">
          <button type="submit" class="btn-primary" disabled={save.isPending}>
            Save retention
          </button>
          <Show when={saved()}>
            <p role="status" class="text-sm text-emerald-700 dark:text-emerald-400">
              Retention saved.
            </p>
          </Show>
          <Show when={save.error}>
            {(error) => (
              <p role="alert" class="text-sm text-red-600 dark:text-red-400">
                {describeProblem(error()).message}
              </p>
            )}
          </Show>
        </div>
      </form>
    </Section>
  );
}

function SnippetSection(props: { project: Project }) {
  // Just after creating or rotating in this tab the full key is still known; otherwise only its prefix is.
  const key = () => freshKey(props.project.id);
  return (
    <Section title="Tracking snippet" description="Paste it before </head> on every page of your site.">
      <CodeBlock label="HTML" text={trackingSnippet(key() ?? KEY_PLACEHOLDER)} />
      <Show when={!key()}>
        <p class="mt-2 text-xs text-muted">
          Replace {KEY_PLACEHOLDER} with this project's key (it starts with{" "}
          <code class="font-mono">{props.project.apiKeyPrefix}</code>). The full key is only shown when it is created;
          rotate it below to get a new one.
        </p>
      </Show>
    </Section>
  );
}

function ApiKeySection(props: { project: Project }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = createSignal(false);
  const [newKey, setNewKey] = createSignal<string | null>(null);
  const rotate = useMutation(() => ({
    mutationFn: () => trpc.projects.rotateKey.mutate({ id: props.project.id }),
    onSuccess: async (result) => {
      queryClient.setQueryData(keys.project(props.project.id), result.project);
      rememberFreshKey(props.project.id, result.apiKey);
      await queryClient.invalidateQueries({ queryKey: keys.projectList() });
      setConfirming(false);
      setNewKey(result.apiKey);
    },
  }));
  return (
    <Section title="API key" description="Your site and servers send events with this key.">
      <div class="flex flex-wrap items-center justify-between gap-3">
        <p class="text-sm">
          Current key:{" "}
          <code class="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800">
            {props.project.apiKeyPrefix}…
          </code>
        </p>
        <button
          type="button"
          class="btn-secondary"
          onClick={() => {
            rotate.reset();
            setConfirming(true);
          }}
        >
          Rotate API key
        </button>
      </div>
      <Show when={newKey()}>
        {(key) => (
          <div class="mt-4">
            <h3 class="mb-2 text-sm font-medium">Your new key</h3>
            <ApiKeyReveal apiKey={key()} />
          </div>
        )}
      </Show>
      <ConfirmDialog
        open={confirming()}
        title="Rotate the API key?"
        confirmLabel="Rotate key"
        danger
        pending={rotate.isPending}
        error={rotate.error}
        onConfirm={() => rotate.mutate()}
        onClose={() => setConfirming(false)}
      >
        <p>
          The current key stops working at once: sites and servers still using it will have their events refused until
          you update them with the new key, which is shown only once.
        </p>
      </ConfirmDialog>
    </Section>
  );
}

function DeleteSection(props: { project: Project }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [typed, setTyped] = createSignal("");
  const remove = useMutation(() => ({
    mutationFn: () => trpc.projects.delete.mutate({ id: props.project.id }),
    onSuccess: async () => {
      forgetFreshKey(props.project.id);
      queryClient.removeQueries({ queryKey: keys.project(props.project.id) });
      queryClient.removeQueries({ queryKey: keys.analytics(props.project.id) });
      await queryClient.invalidateQueries({ queryKey: keys.projectList() });
      navigate("/projects", { replace: true });
    },
  }));
  const matches = () => typed().trim() === props.project.name;
  return (
    <Section
      title="Delete project"
      danger
      description="This deletes the project, its key and every event it received. It cannot be undone."
    >
      <form
        class="flex flex-col gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          if (matches()) remove.mutate();
        }}
      >
        <TextField
          label={`Type ${props.project.name} to confirm`}
          name="confirmName"
          autocomplete="off"
          value={typed()}
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
        <FormError error={remove.error} />
        <div>
          <button type="submit" class="btn-danger" disabled={!matches() || remove.isPending}>
            {remove.isPending ? "Deleting…" : "Delete project"}
          </button>
        </div>
      </form>
    </Section>
  );
}
