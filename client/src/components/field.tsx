/** A labelled input with its hint and error wired up for screen readers (aria-describedby, aria-invalid). */
import { createUniqueId, type JSX, Show, splitProps } from "solid-js";

export function TextField(
  props: {
    label: string;
    error?: string;
    hint?: JSX.Element;
    /** Extra content under the input (e.g. the password checklist), described by the input. */
    below?: JSX.Element;
  } & Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "class">,
) {
  const [local, input] = splitProps(props, ["label", "error", "hint", "below"]);
  const id = createUniqueId();
  const describedBy = () =>
    [local.hint ? `${id}-hint` : "", local.error ? `${id}-error` : "", local.below ? `${id}-below` : ""]
      .filter(Boolean)
      .join(" ") || undefined;
  return (
    <div>
      <label for={id} class="field-label">
        {local.label}
      </label>
      <input
        id={id}
        class="field-input"
        aria-invalid={local.error ? "true" : undefined}
        aria-describedby={describedBy()}
        {...input}
      />
      <Show when={local.hint}>
        <p id={`${id}-hint`} class="mt-1 text-xs text-muted">
          {local.hint}
        </p>
      </Show>
      <Show when={local.below}>
        <div id={`${id}-below`}>{local.below}</div>
      </Show>
      <Show when={local.error}>
        <p id={`${id}-error`} class="mt-1 text-xs text-red-600 dark:text-red-400">
          {local.error}
        </p>
      </Show>
    </div>
  );
}
