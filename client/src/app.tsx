/** The root: data cache, router and the page routes. */
import { Router } from "@solidjs/router";
import { QueryClient, QueryClientProvider } from "@tanstack/solid-query";
import { ErrorBoundary, type JSX, Suspense } from "solid-js";
import { Skeleton } from "./components/query-boundary.tsx";
import { shouldRetryQuery } from "./lib/errors.ts";
import { routes } from "./routes.ts";

export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        retry: shouldRetryQuery,
      },
      mutations: { retry: false },
    },
  });
}

/**
 * What a page that failed to render shows instead of a blank screen. A chunk that cannot load usually means a new
 * version was deployed since this tab opened: reloading fetches it.
 */
function PageCrash(props: { error: unknown; reset: () => void }) {
  console.error("page failed to render", props.error);
  const staleChunk = () =>
    props.error instanceof Error &&
    /dynamically imported module|Importing a module script failed|Failed to fetch/i.test(props.error.message);
  return (
    <div role="alert" class="mx-auto flex max-w-md flex-col items-center gap-4 px-4 py-20 text-center">
      <h1 class="text-xl font-semibold">
        {staleChunk() ? "A new version is available" : "This page ran into a problem"}
      </h1>
      <p class="text-sm text-muted">
        {staleChunk()
          ? "Reload to get the latest dashboard."
          : "Try again. If it keeps happening, reload the page; your data is safe on the server."}
      </p>
      <div class="flex gap-2">
        <button type="button" class="btn-primary" onClick={() => location.reload()}>
          Reload
        </button>
        <button type="button" class="btn-secondary" onClick={() => props.reset()}>
          Try again
        </button>
      </div>
    </div>
  );
}

function Root(props: { children?: JSX.Element }) {
  return (
    <ErrorBoundary fallback={(error, reset) => <PageCrash error={error} reset={reset} />}>
      <Suspense
        fallback={
          <div class="mx-auto max-w-7xl p-6">
            <Skeleton class="h-32" label="Loading the page" />
          </div>
        }
      >
        {props.children}
      </Suspense>
    </ErrorBoundary>
  );
}

export function App(props: { queryClient?: QueryClient }) {
  const client = props.queryClient ?? createQueryClient();
  return (
    <QueryClientProvider client={client}>
      <Router root={Root}>{routes}</Router>
    </QueryClientProvider>
  );
}
