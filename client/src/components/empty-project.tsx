/** What a project with no events shows instead of empty charts: how to send the first one. */
import { A } from "@solidjs/router";
import { Show } from "solid-js";
import { freshKey } from "../lib/fresh-keys.ts";
import { curlExample, KEY_PLACEHOLDER, trackingSnippet } from "../lib/snippet.ts";
import { CodeBlock } from "./copy-button.tsx";

export function EmptyProject(props: { projectId: string; apiKeyPrefix: string }) {
  // Right after creating the project this tab still knows the full key; later only its prefix is known.
  const key = () => freshKey(props.projectId);
  return (
    <section class="card p-5 sm:p-6" aria-labelledby="empty-title">
      <h2 id="empty-title" class="text-lg font-semibold">
        Waiting for the first event
      </h2>
      <p class="mt-1 max-w-2xl text-sm text-muted">
        This project has not received any events yet. Install the snippet on your site, or send a test event from a
        terminal. It appears in the live feed as soon as it is stored, and the dashboard fills in.
      </p>
      <ol class="mt-5 flex flex-col gap-5">
        <li>
          <h3 class="text-sm font-medium">1. Add the snippet to every page, before &lt;/head&gt;</h3>
          <Show
            when={key()}
            fallback={
              <p class="mb-2 mt-1 text-xs text-muted">
                Replace {KEY_PLACEHOLDER} with the key shown when you created the project (it starts with{" "}
                <code class="font-mono">{props.apiKeyPrefix}</code>). Lost it?{" "}
                <A class="link" href={`/projects/${props.projectId}/settings`}>
                  Rotate the key in Settings
                </A>
                .
              </p>
            }
          >
            <p class="mb-2 mt-1 text-xs text-muted">It already holds this project's key.</p>
          </Show>
          <CodeBlock label="HTML" text={trackingSnippet(key() ?? KEY_PLACEHOLDER)} />
        </li>
        <li>
          <h3 class="text-sm font-medium">2. Or send a test event</h3>
          <div class="mt-2">
            <CodeBlock label="Terminal" text={curlExample(key() ?? KEY_PLACEHOLDER)} />
          </div>
        </li>
        <li>
          <h3 class="text-sm font-medium">3. Track what matters</h3>
          <p class="mt-1 text-sm text-muted">
            Page views are sent automatically. Call{" "}
            <code class="font-mono">
              tracker.event("signup", {"{"} plan: "pro" {"}"})
            </code>{" "}
            for anything else, and <code class="font-mono">tracker.identify("user-123")</code> once people sign in.
          </p>
        </li>
      </ol>
    </section>
  );
}
