/**
 * The one way every read shows its loading and error states. Children receive an accessor of the data, so they
 * update in place when the query refetches instead of being rebuilt. Errors say what happened and what to do, with
 * "Try again" for anything a retry can fix.
 */
import { A } from "@solidjs/router";
import { type Accessor, type JSX, Match, Show, Switch } from "solid-js";
import { describeProblem } from "../lib/errors.ts";

/** What the boundary reads of a query (a solid-query result satisfies it; tests pass a small fake). */
type QueryLike<T> = {
  data: T | undefined;
  error: unknown;
  isError: boolean;
  isPending: boolean;
  refetch: () => unknown;
};

export function QueryBoundary<T>(props: {
  query: QueryLike<T>;
  /** What is loading, for screen readers ("Loading top pages"). */
  label?: string;
  /** Shown while loading; a shimmering block when absent. */
  loading?: JSX.Element;
  /** Height of the default skeleton, in Tailwind units (e.g. "h-40"). */
  skeletonClass?: string;
  children: (data: Accessor<NonNullable<T>>) => JSX.Element;
}) {
  return (
    <Switch>
      <Match when={props.query.data !== undefined && props.query.data !== null}>
        {/* An accessor, not the value: false and 0 are data too, and children update in place on refetch. */}
        {props.children(() => props.query.data as NonNullable<T>)}
      </Match>
      <Match when={props.query.isError}>
        <ErrorPanel error={props.query.error} onRetry={() => void props.query.refetch()} />
      </Match>
      <Match when={true}>
        {props.loading ?? <Skeleton class={props.skeletonClass ?? "h-24"} label={props.label ?? "Loading"} />}
      </Match>
    </Switch>
  );
}

export function Skeleton(props: { class?: string; label?: string }) {
  return (
    <div
      role="status"
      aria-live="polite"
      class={`animate-pulse rounded-lg bg-zinc-200/70 dark:bg-zinc-800/70 ${props.class ?? "h-24"}`}
    >
      <span class="sr-only">{props.label ?? "Loading"}…</span>
    </div>
  );
}

export function ErrorPanel(props: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const problem = () => describeProblem(props.error);
  return (
    <div
      role="alert"
      class="flex flex-col gap-3 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800 dark:(border-red-900/60 bg-red-950/40 text-red-200)"
    >
      <p>{problem().message}</p>
      <div class="flex flex-wrap gap-2">
        <Switch>
          <Match when={problem().kind === "unauthorized"}>
            <A class="btn-secondary" href="/login">
              Sign in
            </A>
          </Match>
          <Match when={problem().kind === "not-found"}>
            <A class="btn-secondary" href="/projects">
              Back to projects
            </A>
          </Match>
          {/* Retrying cannot fix bad input, and would only send a query too heavy to compute again. */}
          <Match
            when={
              props.onRetry &&
              problem().kind !== "forbidden" &&
              problem().kind !== "invalid" &&
              problem().kind !== "timeout"
            }
          >
            <button type="button" class="btn-secondary" onClick={() => props.onRetry?.()}>
              Try again
            </button>
          </Match>
        </Switch>
      </div>
    </div>
  );
}

/** A form-level error message (the result of a mutation), announced to screen readers. */
export function FormError(props: { error: unknown }) {
  return (
    <Show when={props.error}>
      <p role="alert" class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 dark:(bg-red-950/50 text-red-300)">
        {describeProblem(props.error).message}
      </p>
    </Show>
  );
}
