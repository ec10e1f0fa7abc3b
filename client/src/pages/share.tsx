/**
 * A shared dashboard (`/share/<token>`): the server served this page only because the token is live. The page opens
 * the share (asking for its password when it has one), then shows the project's dashboard cards and filters through
 * the share session: numbers only. Nothing here names a person (no sessions or users tables, no live feed, no
 * people or funnel people), and there are no settings, keys or exports; the server refuses those to a share anyway.
 */
import { useParams, useSearchParams } from "@solidjs/router";
import { useMutation, useQueryClient } from "@tanstack/solid-query";
import { createMemo, createSignal, For, Match, onCleanup, onMount, Switch } from "solid-js";
import type { OpenShareResult } from "../../../shared/sharing.ts";
import { Brand } from "../components/brand.tsx";
import { BreakdownCard, EntryExitCard, TopEventsCard } from "../components/breakdown-card.tsx";
import { CountriesCard } from "../components/countries-card.tsx";
import { CurrentVisitors } from "../components/current-visitors.tsx";
import { ChartCard, Metrics } from "../components/dashboard-cards.tsx";
import { TextField } from "../components/field.tsx";
import { FilterBuilder } from "../components/filter-builder.tsx";
import { FilterChips } from "../components/filter-chips.tsx";
import { GoalsCard } from "../components/goals-card.tsx";
import { PeriodPicker } from "../components/period-picker.tsx";
import { FormError } from "../components/query-boundary.tsx";
import {
  addFilterPatch,
  describePeriod,
  type Filter,
  filtersPatch,
  readDashboardState,
  removeFilterPatch,
  type SearchPatch,
  toAnalyticsRange,
} from "../lib/dashboard-state.ts";
import { usePageTitle } from "../lib/page-title.ts";
import { BREAKDOWN_CARDS } from "../lib/queries.ts";
import { setShareSession, trpc } from "../lib/trpc.ts";

type Opened = Extract<OpenShareResult, { status: "open" }>;

export default function SharePage() {
  const params = useParams<{ token: string }>();
  const queryClient = useQueryClient();
  const [opened, setOpened] = createSignal<Opened | null>(null);
  const [needsPassword, setNeedsPassword] = createSignal(false);
  const [wrongPassword, setWrongPassword] = createSignal(false);
  const [password, setPassword] = createSignal("");
  usePageTitle(() => (opened() ? `${opened()!.projectName} (shared)` : "Shared dashboard"));

  const open = useMutation(() => ({
    mutationFn: (given: string | undefined) => trpc.shares.open.mutate({ token: params.token, password: given }),
    onSuccess: (result) => {
      setWrongPassword(result.status === "wrong_password");
      if (result.status === "open") {
        setShareSession(result.session);
        setOpened(result);
      } else {
        setNeedsPassword(true);
      }
    },
  }));
  onMount(() => open.mutate(undefined));
  onCleanup(() => {
    setShareSession(null);
    queryClient.clear();
  });

  return (
    <div class="mx-auto flex max-w-7xl flex-col gap-5 px-4 py-6">
      <header class="flex items-center justify-between">
        <Brand compact />
        <p class="text-xs text-muted">Shared dashboard · read only</p>
      </header>
      <Switch>
        <Match when={opened()}>{(share) => <SharedDashboard share={share()} />}</Match>
        <Match when={needsPassword()}>
          <form
            class="card mx-auto flex w-full max-w-sm flex-col gap-4 p-5"
            onSubmit={(event) => {
              event.preventDefault();
              open.mutate(password());
            }}
          >
            <h1 class="text-lg font-semibold">This dashboard is protected</h1>
            <TextField
              label="Password"
              name="password"
              type="password"
              autocomplete="current-password"
              required
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
              error={wrongPassword() ? "That password is not right." : undefined}
            />
            <FormError error={open.error} />
            <button type="submit" class="btn-primary" disabled={open.isPending}>
              Open the dashboard
            </button>
          </form>
        </Match>
        <Match when={open.error}>
          <div role="alert" class="mx-auto max-w-md py-16 text-center">
            <h1 class="text-xl font-semibold">This share link has ended</h1>
            <p class="mt-2 text-sm text-muted">It was revoked or it expired. Ask for a new link.</p>
          </div>
        </Match>
      </Switch>
    </div>
  );
}

function SharedDashboard(props: { share: Opened }) {
  const [search, setSearch] = useSearchParams();
  const state = createMemo(() => readDashboardState(search));
  const range = createMemo(() => toAnalyticsRange(state()), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const update = (patch: SearchPatch) => setSearch(patch);
  const addFilter = (dimension: string, value: string) =>
    update(addFilterPatch(state(), { dimension, op: "eq", value }));
  const projectId = () => props.share.projectId;
  return (
    <div class="flex flex-col gap-5">
      <div class="flex flex-wrap items-start justify-between gap-4">
        <div class="min-w-0">
          <h1 class="truncate text-2xl font-semibold tracking-tight">{props.share.projectName}</h1>
          <p class="text-sm text-muted">{describePeriod(state())}</p>
        </div>
        <CurrentVisitors projectId={projectId()} />
      </div>
      <div class="-mt-1 flex flex-col gap-3 border-b border-zinc-200 pb-4 dark:border-zinc-800">
        <PeriodPicker state={state()} onChange={update} />
        <div class="flex flex-wrap items-end gap-3">
          <FilterBuilder onAdd={(filter: Filter) => update(addFilterPatch(state(), filter))} />
          <FilterChips
            filters={state().filters}
            onRemove={(filter: Filter) => update(removeFilterPatch(state(), filter))}
            onClear={() => update(filtersPatch([]))}
          />
        </div>
      </div>
      <Metrics projectId={projectId()} range={range()} />
      <ChartCard projectId={projectId()} range={range()} />
      <div class="grid gap-5 md:grid-cols-2">
        <TopEventsCard projectId={projectId()} range={range()} onFilter={addFilter} />
        <For each={BREAKDOWN_CARDS}>
          {(card) =>
            card.id === "countries" ? (
              <CountriesCard title={card.title} projectId={projectId()} range={range()} onFilter={addFilter} />
            ) : (
              <BreakdownCard
                title={card.title}
                dimensions={card.dimensions}
                projectId={projectId()}
                range={range()}
                onFilter={addFilter}
              />
            )
          }
        </For>
        <EntryExitCard side="entry" projectId={projectId()} range={range()} onFilter={addFilter} />
        <EntryExitCard side="exit" projectId={projectId()} range={range()} onFilter={addFilter} />
      </div>
      <GoalsCard projectId={projectId()} range={range()} readOnly />
    </div>
  );
}
