/** The root: data cache, router and the page routes. */
import { Router } from "@solidjs/router";
import { QueryClient, QueryClientProvider } from "@tanstack/solid-query";
import { type JSX, Suspense } from "solid-js";
import { Skeleton } from "./components/query-boundary.tsx";
import { isClientError } from "./lib/errors.ts";
import { routes } from "./routes.ts";

export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A 4xx (no access, bad input) will not change on retry; anything else gets one more try.
        retry: (failureCount, error) => !isClientError(error) && failureCount < 1,
      },
      mutations: { retry: false },
    },
  });
}

function Root(props: { children?: JSX.Element }) {
  return (
    <Suspense
      fallback={
        <div class="mx-auto max-w-7xl p-6">
          <Skeleton class="h-32" label="Loading the page" />
        </div>
      }
    >
      {props.children}
    </Suspense>
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
