/**
 * The reads of the retention and paths pages, as queryOptions factories under the project's analytics key (so the
 * dashboard's invalidation reaches them), and the pickers' choices: event names and page paths from the project's
 * own events over the last 90 days.
 */
import { queryOptions } from "@tanstack/solid-query";
import type { AnalyticsRange } from "./dashboard-state.ts";
import type { PathsState, RetentionState } from "./journey-state.ts";
import { keys, type RouterOutputs } from "./queries.ts";
import { trpc } from "./trpc.ts";

export type RetentionAnswer = RouterOutputs["analytics"]["retention"];
export type PathsAnswer = RouterOutputs["analytics"]["paths"];

const PICKER_LIMIT = 100;

export const retentionQuery = (projectId: string, range: AnalyticsRange, state: RetentionState) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "retention", range, state] as const,
    queryFn: () => trpc.analytics.retention.query({ projectId, ...range, ...state }),
  });

export const pathsQuery = (projectId: string, range: AnalyticsRange, state: PathsState & { value: string }) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "paths", range, state] as const,
    queryFn: () =>
      trpc.analytics.paths.query({
        projectId,
        ...range,
        start: { kind: state.kind, value: state.value },
        direction: state.direction,
        steps: state.steps,
        limitPerStep: state.limitPerStep,
      }),
  });

/** Event names (kind "event") or page paths (kind "page") seen in the project, most frequent first. */
export const pickerChoicesQuery = (projectId: string, kind: "event" | "page", timezone: string) =>
  queryOptions({
    queryKey: [...keys.analytics(projectId), "picker", kind, timezone] as const,
    queryFn: async (): Promise<string[]> => {
      const range = { projectId, period: "90d" as const, timezone, limit: PICKER_LIMIT };
      if (kind === "event") return (await trpc.analytics.topEvents.query(range)).map((row) => row.eventName);
      return (await trpc.analytics.breakdown.query({ ...range, dimension: "path" })).map((row) => row.value);
    },
    staleTime: 60_000,
  });
