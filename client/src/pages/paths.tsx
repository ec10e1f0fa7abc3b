/**
 * Paths of one project: from a start page or event, where sessions went next (or came from), as a Sankey-style flow
 * drawn in SVG (columns are steps, bands are sessions), with the same numbers as a table below it for screen readers
 * and narrow screens. The analysis settings live in the URL (journey-state.ts).
 */
import { useParams, useSearchParams } from "@solidjs/router";
import { useQuery } from "@tanstack/solid-query";
import { createMemo, createUniqueId, For, Show } from "solid-js";
import { MAX_PATH_LIMIT, MAX_PATH_STEPS, MIN_PATH_LIMIT, MIN_PATH_STEPS } from "../../../shared/journey-constants.ts";
import { AnalysisFrame, ValuePicker } from "../components/analysis-frame.tsx";
import { QueryBoundary } from "../components/query-boundary.tsx";
import { RawDataNotice } from "../components/raw-data-notice.tsx";
import { type DashboardState, toAnalyticsRange } from "../lib/dashboard-state.ts";
import { formatExact } from "../lib/format.ts";
import { type PathsAnswer, pathsQuery, pickerChoicesQuery } from "../lib/journey-queries.ts";
import { readPathsState } from "../lib/journey-state.ts";
import { layoutFlow } from "../lib/path-flow.ts";

export default function PathsPage() {
  const params = useParams<{ id: string }>();
  return (
    <AnalysisFrame projectId={params.id} title="Paths">
      {(state) => <PathsView projectId={params.id} state={state()} />}
    </AnalysisFrame>
  );
}

function PathsView(props: { projectId: string; state: DashboardState }) {
  const id = createUniqueId();
  const [search, setSearch] = useSearchParams();
  const settings = createMemo(() => readPathsState(search), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const range = createMemo(() => toAnalyticsRange(props.state), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const choices = useQuery(() => pickerChoicesQuery(props.projectId, settings().kind, props.state.timezone));
  const start = () => settings().value ?? (settings().kind === "page" ? "/" : undefined);
  const answer = useQuery(() => ({
    ...pathsQuery(props.projectId, range(), { ...settings(), value: start() ?? "" }),
    enabled: start() !== undefined,
  }));
  return (
    <div class="flex flex-col gap-5">
      <section class="card flex flex-wrap items-end gap-3 p-4" aria-label="Paths settings">
        <div>
          <label for={`${id}-kind`} class="field-label">
            Start at
          </label>
          <select
            id={`${id}-kind`}
            class="field-input"
            value={settings().kind}
            onChange={(event) => setSearch({ kind: event.currentTarget.value, value: null })}
          >
            <option value="page">A page</option>
            <option value="event">An event</option>
          </select>
        </div>
        <ValuePicker
          id={`${id}-value`}
          label={settings().kind === "page" ? "Page path" : "Event name"}
          value={start() ?? ""}
          placeholder={settings().kind === "page" ? "/" : "signup"}
          choices={choices.data ?? []}
          onChange={(value) => setSearch({ value: value || null })}
        />
        <div>
          <label for={`${id}-direction`} class="field-label">
            Direction
          </label>
          <select
            id={`${id}-direction`}
            class="field-input"
            value={settings().direction}
            onChange={(event) => setSearch({ direction: event.currentTarget.value })}
          >
            <option value="after">What came after</option>
            <option value="before">What came before</option>
          </select>
        </div>
        <div class="w-20">
          <label for={`${id}-steps`} class="field-label">
            Steps
          </label>
          <input
            id={`${id}-steps`}
            class="field-input"
            type="number"
            min={MIN_PATH_STEPS}
            max={MAX_PATH_STEPS}
            value={settings().steps}
            onChange={(event) => setSearch({ steps: event.currentTarget.value })}
          />
        </div>
        <div class="w-24">
          <label for={`${id}-limit`} class="field-label">
            Per step
          </label>
          <input
            id={`${id}-limit`}
            class="field-input"
            type="number"
            min={MIN_PATH_LIMIT}
            max={MAX_PATH_LIMIT}
            value={settings().limitPerStep}
            onChange={(event) => setSearch({ limit: event.currentTarget.value })}
          />
        </div>
      </section>
      <RawDataNotice rawDataFrom={answer.data?.rawDataFrom} range={range()} />
      <section class="card min-w-0 p-4" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`} class="mb-3 text-sm font-semibold">
          Sessions {settings().direction === "after" ? "from" : "to"} {start() ?? "…"}
        </h2>
        <Show
          when={start() !== undefined}
          fallback={<p class="py-8 text-center text-sm text-muted">Pick an event to start from.</p>}
        >
          <QueryBoundary query={answer} label="Loading paths" skeletonClass="h-72">
            {(data) => <Flow data={data()} direction={settings().direction} />}
          </QueryBoundary>
        </Show>
      </section>
    </div>
  );
}

const NODE_COLORS: Record<string, string> = { $other: "#a1a1aa", "(end)": "#71717a" };
const PALETTE = ["#4f46e5", "#0891b2", "#16a34a", "#ca8a04", "#db2777", "#7c3aed", "#ea580c", "#0d9488"];
const colorOf = (value: string, index: number) => NODE_COLORS[value] ?? PALETTE[index % PALETTE.length]!;

function Flow(props: { data: PathsAnswer; direction: "after" | "before" }) {
  const layout = createMemo(() => layoutFlow(props.data));
  return (
    <Show
      when={props.data.nodes.length > 0}
      fallback={
        <p class="py-8 text-center text-sm text-muted">
          No session reached this start in the period. Pick another page or event, a longer period, or fewer filters.
        </p>
      }
    >
      {/* Focusable, so the keyboard can scroll the flow on a narrow screen. */}
      <section class="focus-ring overflow-x-auto rounded" tabindex="0" aria-label="Flow chart">
        <svg
          role="img"
          aria-label="Flow of sessions between steps"
          viewBox={`0 0 ${layout().width} ${layout().height}`}
          class="block min-w-[36rem] w-full"
          style={{ "max-height": "32rem" }}
        >
          <For each={layout().links}>
            {(link) => (
              <path
                d={link.path}
                fill="none"
                stroke={colorOf(link.to, link.colorIndex)}
                stroke-opacity="0.3"
                stroke-width={Math.max(1, link.width)}
              >
                <title>
                  {link.from} → {link.to}: {formatExact(link.sessions)} sessions
                </title>
              </path>
            )}
          </For>
          <For each={layout().nodes}>
            {(node) => (
              <g>
                <rect
                  x={node.x}
                  y={node.y}
                  width={node.w}
                  height={Math.max(2, node.h)}
                  rx="2"
                  fill={colorOf(node.value, node.colorIndex)}
                >
                  <title>
                    {node.value}: {formatExact(node.sessions)} sessions
                  </title>
                </rect>
                <text
                  x={node.x + node.w + 4}
                  y={node.y + Math.max(2, node.h) / 2}
                  dominant-baseline="middle"
                  class="fill-zinc-700 text-[11px] dark:fill-zinc-300"
                >
                  {node.label} · {formatExact(node.sessions)}
                </text>
              </g>
            )}
          </For>
        </svg>
      </section>
      <details class="mt-3 text-sm">
        <summary class="focus-ring cursor-pointer rounded text-muted">Numbers by step</summary>
        <table class="mt-2 w-full text-left text-xs tabular-nums">
          <thead class="text-muted">
            <tr>
              <th scope="col" class="py-1 pr-2 font-medium">
                Step
              </th>
              <th scope="col" class="py-1 pr-2 font-medium">
                {props.direction === "after" ? "Page or event" : "Page or event (earlier)"}
              </th>
              <th scope="col" class="py-1 text-right font-medium">
                Sessions
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={props.data.nodes}>
              {(node) => (
                <tr class="border-t border-zinc-100 dark:border-zinc-800">
                  <td class="py-1 pr-2">{node.step}</td>
                  <td class="max-w-0 truncate py-1 pr-2" title={node.value}>
                    {node.value}
                  </td>
                  <td class="py-1 text-right">{formatExact(node.sessions)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </details>
    </Show>
  );
}
