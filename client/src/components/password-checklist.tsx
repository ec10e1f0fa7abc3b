/** The password rule from shared/auth.ts, ticked off as the person types. */
import { For } from "solid-js";
import { checkPassword } from "../../../shared/auth.ts";

export function PasswordChecklist(props: { password: string }) {
  const results = () => checkPassword(props.password);
  return (
    <ul class="mt-2 grid gap-1 text-xs" aria-label="Password requirements">
      <For each={results()}>
        {(rule) => (
          <li
            class={
              rule.ok
                ? "flex items-start gap-1.5 text-emerald-700 dark:text-emerald-400"
                : "flex items-start gap-1.5 text-muted"
            }
          >
            <span aria-hidden="true" class="w-3 shrink-0 text-center">
              {rule.ok ? "✓" : "○"}
            </span>
            <span>
              {rule.label}
              <span class="sr-only">{rule.ok ? " (met)" : " (not met yet)"}</span>
            </span>
          </li>
        )}
      </For>
    </ul>
  );
}

export function passwordMeetsRules(password: string): boolean {
  return checkPassword(password).every((rule) => rule.ok);
}
