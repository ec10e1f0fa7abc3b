/** One titled card of a settings page. */
import { type JSX, Show } from "solid-js";

export function Section(props: { title: string; description?: string; danger?: boolean; children: JSX.Element }) {
  const id = `section-${props.title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section aria-labelledby={id} class={`card p-5 ${props.danger ? "border-red-200 dark:border-red-900/60" : ""}`}>
      <h2 id={id} class={`text-base font-semibold ${props.danger ? "text-red-700 dark:text-red-400" : ""}`}>
        {props.title}
      </h2>
      <Show when={props.description}>
        <p class="mt-1 text-sm text-muted">{props.description}</p>
      </Show>
      <div class="mt-4">{props.children}</div>
    </section>
  );
}
