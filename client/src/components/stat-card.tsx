/** One headline number with its change against the previous period of the same length, or the chosen one. */
import { Show } from "solid-js";
import { formatChange, formatCompact, formatExact } from "../lib/format.ts";

const GOOD = "bg-emerald-50 text-emerald-700 dark:(bg-emerald-950/60 text-emerald-300)";
const BAD = "bg-rose-50 text-rose-700 dark:(bg-rose-950/60 text-rose-300)";

/**
 * `format` shows the value (default: compact, the exact count in the title and accessible name); `lowerIsBetter`
 * colours a fall green (bounce rate).
 */
export function StatCard(props: {
  label: string;
  value: number;
  previous?: number;
  /** What previous covers, when not the period just before ("Compare to" days, in words). */
  versus?: string | null;
  detail?: string;
  format?: (value: number) => string;
  lowerIsBetter?: boolean;
}) {
  const change = () => (props.previous === undefined ? null : formatChange(props.value, props.previous));
  const changeClass = () => {
    switch (change()?.direction) {
      case "up":
      case "new":
        return props.lowerIsBetter ? BAD : GOOD;
      case "down":
        return props.lowerIsBetter ? GOOD : BAD;
      default:
        return "bg-zinc-100 text-zinc-600 dark:(bg-zinc-800 text-zinc-300)";
    }
  };
  const shown = () => (props.format ? props.format(props.value) : formatCompact(props.value));
  const exact = () => (props.format ? shown() : formatExact(props.value));
  return (
    <section class="card flex flex-col gap-1 p-4" aria-label={`${props.label}: ${exact()}`}>
      <p class="text-sm text-muted">{props.label}</p>
      <p class="text-2xl font-semibold tracking-tight tabular sm:text-3xl" title={exact()} data-metric-value="">
        {shown()}
      </p>
      <Show when={change()}>
        {(c) => (
          <p class="flex items-center gap-1.5 text-xs">
            <span class={`rounded-full px-1.5 py-0.5 font-medium tabular ${changeClass()}`}>
              <span aria-hidden="true">{c().direction === "up" ? "↑ " : c().direction === "down" ? "↓ " : ""}</span>
              {c().text}
            </span>
            <span class="sr-only">{c().label}</span>
            <span aria-hidden="true" class="text-muted">
              vs {props.versus ?? "previous"}
            </span>
          </p>
        )}
      </Show>
      <Show when={props.detail}>
        <p class="text-xs text-muted">{props.detail}</p>
      </Show>
    </section>
  );
}

/** The top event card: the most frequent event name (text, never HTML). */
export function TopEventCard(props: { name: string | null }) {
  return (
    <div class="card flex min-w-0 flex-col gap-1 p-4">
      <p class="text-sm text-muted">Top event</p>
      <p class="truncate text-xl font-semibold tracking-tight sm:text-2xl" title={props.name ?? undefined}>
        {props.name ?? "–"}
      </p>
      <p class="text-xs text-muted">{props.name ? "most frequent in this period" : "no events in this period"}</p>
    </div>
  );
}
