/** The project's sections: the dashboard and the analyses, each a page of its own (keyboard-reachable links). */
import { A } from "@solidjs/router";
import { For } from "solid-js";

const SECTIONS = [
  { path: "", label: "Dashboard" },
  { path: "/funnels", label: "Funnels" },
  { path: "/retention", label: "Retention" },
  { path: "/paths", label: "Paths" },
  { path: "/people", label: "People" },
  { path: "/cohorts", label: "Cohorts" },
];

export function AnalysisNav(props: { projectId: string }) {
  return (
    <nav aria-label="Project sections" class="flex flex-wrap gap-1 border-b border-zinc-200 dark:border-zinc-800">
      <For each={SECTIONS}>
        {(section) => (
          <A
            href={`/projects/${props.projectId}${section.path}`}
            end
            class="focus-ring -mb-px rounded-t-md border-b-2 border-transparent px-3 py-2 text-sm font-medium text-muted hover:text-zinc-900 dark:hover:text-zinc-100"
            activeClass="!border-indigo-600 !text-zinc-900 dark:!text-zinc-100"
          >
            {section.label}
          </A>
        )}
      </For>
    </nav>
  );
}
