/**
 * Events and unique sessions over time, drawn with uPlot (small and fast; loaded only with the dashboard). Hovering
 * (or moving the cursor with the keyboard-free pointer) shows the bucket's values in a tooltip; a table of the same
 * data is available for screen readers and keyboard users. Axis labels follow the dashboard's timezone.
 */
import "uplot/dist/uPlot.min.css";
import { createEffect, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import uPlot from "uplot";
import { formatCompact, formatExact } from "../lib/format.ts";

export type ChartPoint = { timestamp: string; count: number; uniqueSessions: number };

function prefersDark() {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

function bucketFormatter(granularity: "hour" | "day", timeZone: string) {
  const format =
    granularity === "day"
      ? new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", month: "short", day: "numeric" })
      : new Intl.DateTimeFormat("en-US", {
          timeZone,
          month: "short",
          day: "numeric",
          hour: "2-digit",
          minute: "2-digit",
          hourCycle: "h23",
        });
  return (seconds: number) => format.format(new Date(seconds * 1000));
}

function axisFormatter(granularity: "hour" | "day", timeZone: string, spanSeconds: number) {
  const dayFormat = new Intl.DateTimeFormat("en-US", { timeZone, month: "short", day: "numeric" });
  const hourFormat = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  return (seconds: number) => {
    const date = new Date(seconds * 1000);
    if (granularity === "day" || spanSeconds > 3 * 86_400) return dayFormat.format(date);
    return hourFormat.format(date);
  };
}

export default function TimeseriesChart(props: {
  points: ChartPoint[];
  granularity: "hour" | "day";
  timezone: string;
}) {
  let container: HTMLDivElement | undefined;
  let plot: uPlot | undefined;
  const [dark, setDark] = createSignal(prefersDark());
  const [hover, setHover] = createSignal<{ index: number; left: number; top: number } | null>(null);

  onMount(() => {
    const media = matchMedia("(prefers-color-scheme: dark)");
    const onSchemeChange = () => setDark(media.matches);
    media.addEventListener("change", onSchemeChange);
    const resize = new ResizeObserver(() => {
      if (plot && container) plot.setSize({ width: container.clientWidth, height: plot.height });
    });
    if (container) resize.observe(container);
    onCleanup(() => {
      media.removeEventListener("change", onSchemeChange);
      resize.disconnect();
      plot?.destroy();
    });
  });

  const times = () => props.points.map((p) => Math.floor(new Date(p.timestamp).getTime() / 1000));

  createEffect(() => {
    if (!container) return;
    const xs = times();
    const data: uPlot.AlignedData = [xs, props.points.map((p) => p.count), props.points.map((p) => p.uniqueSessions)];
    const isDark = dark();
    const axisColor = isDark ? "#a1a1aa" : "#71717a";
    const gridColor = isDark ? "rgba(63,63,70,0.6)" : "rgba(228,228,231,0.9)";
    const span = xs.length > 1 ? xs[xs.length - 1]! - xs[0]! : 0;
    const xLabel = axisFormatter(props.granularity, props.timezone, span);
    plot?.destroy();
    setHover(null);
    const options: uPlot.Options = {
      width: container.clientWidth || 600,
      height: 260,
      legend: { show: false },
      padding: [12, 24, 0, 0],
      cursor: { y: false, points: { size: 7 }, drag: { x: false, y: false, setScale: false } },
      // Time splits (midnights, whole hours) computed in the dashboard's timezone, not the browser's.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), props.timezone),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.1)] } },
      axes: [
        {
          stroke: axisColor,
          grid: { show: false },
          ticks: { stroke: gridColor },
          values: (_u, splits) => splits.map((s) => xLabel(s)),
          space: 70,
        },
        {
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { show: false },
          values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? formatCompact(s) : "")),
          size: 44,
        },
      ],
      series: [
        {},
        {
          label: "Events",
          stroke: isDark ? "#818cf8" : "#4f46e5",
          fill: isDark ? "rgba(129,140,248,0.18)" : "rgba(79,70,229,0.12)",
          width: 2,
          points: { show: xs.length <= 2 },
        },
        {
          label: "Sessions",
          stroke: isDark ? "#34d399" : "#059669",
          width: 1.5,
          dash: [4, 3],
          points: { show: false },
        },
      ],
      hooks: {
        setCursor: [
          (u) => {
            const index = u.cursor.idx;
            if (index === null || index === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
              setHover(null);
              return;
            }
            setHover({ index, left: u.cursor.left + u.over.offsetLeft, top: (u.cursor.top ?? 0) + u.over.offsetTop });
          },
        ],
      },
    };
    plot = new uPlot(options, data, container);
  });

  const label = () => bucketFormatter(props.granularity, props.timezone);
  const hovered = () => {
    const h = hover();
    if (!h) return null;
    const point = props.points[h.index];
    if (!point) return null;
    return { ...h, point, when: label()(Math.floor(new Date(point.timestamp).getTime() / 1000)) };
  };

  return (
    <div>
      <div class="mb-2 flex items-center gap-4 text-xs text-muted" aria-hidden="true">
        <span class="flex items-center gap-1.5">
          <span class="h-0.5 w-4 rounded bg-indigo-600 dark:bg-indigo-400" /> Events
        </span>
        <span class="flex items-center gap-1.5">
          <span class="h-0 w-4 border-t-2 border-dashed border-emerald-600 dark:border-emerald-400" /> Sessions
        </span>
      </div>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: leaving with the pointer only hides the hover read-out; keyboard users get the data table. */}
      <div class="relative min-w-0" onMouseLeave={() => setHover(null)}>
        <div
          ref={container}
          class="w-full min-w-0 overflow-hidden"
          role="img"
          aria-label={`Chart of events per ${props.granularity}; the table below has the values`}
        />
        <Show when={hovered()}>
          {(h) => (
            <div
              class="pointer-events-none absolute z-10 min-w-36 rounded-lg border border-zinc-200 bg-white/95 px-3 py-2 text-xs shadow-lg dark:(border-zinc-700 bg-zinc-900/95)"
              style={{
                left: `${h().left}px`,
                top: `${Math.max(0, h().top - 70)}px`,
                transform:
                  h().left > (container?.clientWidth ?? 0) / 2 ? "translateX(calc(-100% - 12px))" : "translateX(12px)",
              }}
              data-testid="chart-tooltip"
            >
              <p class="font-medium">{h().when}</p>
              <p class="mt-1 flex justify-between gap-4 tabular">
                <span class="text-indigo-600 dark:text-indigo-400">Events</span> {formatExact(h().point.count)}
              </p>
              <p class="flex justify-between gap-4 tabular">
                <span class="text-emerald-600 dark:text-emerald-400">Sessions</span>{" "}
                {formatExact(h().point.uniqueSessions)}
              </p>
            </div>
          )}
        </Show>
      </div>
      <details class="mt-2 text-xs">
        <summary class="focus-ring w-max cursor-pointer rounded text-muted hover:text-zinc-900 dark:hover:text-zinc-100">
          Show as table
        </summary>
        <div class="mt-2 max-h-64 overflow-auto">
          <table class="w-full text-left tabular">
            <thead class="text-muted">
              <tr>
                <th scope="col" class="py-1 font-medium">
                  {props.granularity === "day" ? "Day" : "Hour"}
                </th>
                <th scope="col" class="py-1 text-right font-medium">
                  Events
                </th>
                <th scope="col" class="py-1 text-right font-medium">
                  Sessions
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={props.points}>
                {(point) => (
                  <tr class="border-t border-zinc-100 dark:border-zinc-800">
                    <td class="py-1">{label()(Math.floor(new Date(point.timestamp).getTime() / 1000))}</td>
                    <td class="py-1 text-right">{formatExact(point.count)}</td>
                    <td class="py-1 text-right">{formatExact(point.uniqueSessions)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
