/** Copies a text to the clipboard and says so, visibly and to screen readers. */
import { createSignal, onCleanup } from "solid-js";

export function CopyButton(props: { text: string; label?: string; class?: string }) {
  const [state, setState] = createSignal<"idle" | "copied" | "failed">("idle");
  let reset: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(reset));
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setState("copied");
    } catch (error) {
      // Clipboard access can be refused (insecure origin, permissions): say so, the text is still selectable.
      console.warn("clipboard write failed", error);
      setState("failed");
    }
    clearTimeout(reset);
    reset = setTimeout(() => setState("idle"), 2000);
  };
  return (
    <button type="button" class={props.class ?? "btn-secondary"} onClick={() => void copy()}>
      <svg
        aria-hidden="true"
        viewBox="0 0 16 16"
        class="h-3.5 w-3.5"
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
      >
        {state() === "copied" ? (
          <path d="M3 8.5l3 3 7-7" stroke-linecap="round" stroke-linejoin="round" />
        ) : (
          <>
            <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
            <path d="M10.5 5.5V3.5A1.5 1.5 0 0 0 9 2H3.5A1.5 1.5 0 0 0 2 3.5V9a1.5 1.5 0 0 0 1.5 1.5h2" />
          </>
        )}
      </svg>
      <span>
        {state() === "copied"
          ? "Copied"
          : state() === "failed"
            ? "Copy failed: select the text"
            : (props.label ?? "Copy")}
      </span>
      <span class="sr-only" aria-live="polite">
        {state() === "copied" ? "Copied to the clipboard" : ""}
      </span>
    </button>
  );
}

/** A block of code (a key or a snippet) with its copy button; the text wraps so nothing hides on phones. */
export function CodeBlock(props: { text: string; label: string; copyLabel?: string }) {
  return (
    <div class="rounded-lg border border-zinc-200 bg-zinc-50 dark:(border-zinc-800 bg-zinc-950)">
      <div class="flex items-center justify-between gap-2 border-b border-zinc-200 px-3 py-1.5 dark:border-zinc-800">
        <span class="text-xs font-medium text-muted">{props.label}</span>
        <CopyButton text={props.text} label={props.copyLabel} class="btn-ghost px-2 py-1 text-xs" />
      </div>
      <pre class="overflow-x-auto whitespace-pre-wrap break-all p-3 font-mono text-xs leading-relaxed text-zinc-800 dark:text-zinc-200">
        <code>{props.text}</code>
      </pre>
    </div>
  );
}
