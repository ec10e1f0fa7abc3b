/** "N current visitors": sessions with an event in the last five minutes, refreshed by the live feed. */
import { useQuery } from "@tanstack/solid-query";
import { Show } from "solid-js";
import { formatExact } from "../lib/format.ts";
import { realtimeQuery } from "../lib/queries.ts";

export function CurrentVisitors(props: { projectId: string }) {
  const realtime = useQuery(() => realtimeQuery(props.projectId));
  return (
    <p
      class="flex items-center gap-2 text-sm"
      role="status"
      aria-live="polite"
      title="Sessions with an event in the last 5 minutes"
    >
      <span class="h-2 w-2 rounded-full bg-emerald-500" aria-hidden="true" />
      <Show when={realtime.data} fallback={<span class="text-muted">Current visitors…</span>}>
        {(data) => (
          <span>
            <span class="font-semibold tabular-nums">{formatExact(data().currentVisitors)}</span>{" "}
            {data().currentVisitors === 1 ? "current visitor" : "current visitors"}
          </span>
        )}
      </Show>
    </p>
  );
}
