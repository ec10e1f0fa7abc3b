/** Tabs (WAI-ARIA pattern): arrow keys move between tabs, only the selected panel is rendered. */
import { createUniqueId, For, type JSX } from "solid-js";

export function Tabs<T extends string>(props: {
  label: string;
  tabs: ReadonlyArray<{ value: T; label: string }>;
  selected: T;
  onSelect: (value: T) => void;
  children: JSX.Element;
}) {
  const id = createUniqueId();
  let list: HTMLDivElement | undefined;
  const onKeyDown = (event: KeyboardEvent) => {
    const index = props.tabs.findIndex((tab) => tab.value === props.selected);
    let nextIndex = index;
    if (event.key === "ArrowRight") nextIndex = (index + 1) % props.tabs.length;
    else if (event.key === "ArrowLeft") nextIndex = (index - 1 + props.tabs.length) % props.tabs.length;
    else if (event.key === "Home") nextIndex = 0;
    else if (event.key === "End") nextIndex = props.tabs.length - 1;
    else return;
    event.preventDefault();
    const next = props.tabs[nextIndex];
    if (!next) return;
    props.onSelect(next.value);
    queueMicrotask(() => list?.querySelector<HTMLElement>(`[data-value="${next.value}"]`)?.focus());
  };
  return (
    <div>
      <div
        ref={list}
        role="tablist"
        aria-label={props.label}
        class="-mx-1 flex gap-1 overflow-x-auto px-1 pb-1"
        onKeyDown={onKeyDown}
      >
        <For each={props.tabs}>
          {(tab) => (
            <button
              type="button"
              role="tab"
              id={`${id}-${tab.value}`}
              data-value={tab.value}
              aria-selected={tab.value === props.selected}
              aria-controls={`${id}-panel`}
              tabindex={tab.value === props.selected ? 0 : -1}
              class="focus-ring shrink-0 rounded-md px-2.5 py-1 text-xs font-medium text-muted hover:text-zinc-900 aria-selected:(bg-zinc-100 text-zinc-900) dark:(hover:text-zinc-100 aria-selected:bg-zinc-800 aria-selected:text-zinc-100)"
              onClick={() => props.onSelect(tab.value)}
            >
              {tab.label}
            </button>
          )}
        </For>
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-${props.selected}`} class="mt-2">
        {props.children}
      </div>
    </div>
  );
}
