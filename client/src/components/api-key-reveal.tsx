/** The one-time display of a full API key with its snippet: shown after creating a project or rotating its key. */

import { trackingSnippet } from "../lib/snippet.ts";
import { CodeBlock } from "./copy-button.tsx";

export function ApiKeyReveal(props: { apiKey: string }) {
  return (
    <div class="flex flex-col gap-3">
      <p
        class="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:(bg-amber-950/40 text-amber-200)"
        role="note"
      >
        Copy the key now: it is shown only once. If you lose it, rotate the key in the project settings.
      </p>
      <CodeBlock label="API key" text={props.apiKey} copyLabel="Copy key" />
      <CodeBlock
        label="Snippet: paste before </head> on every page"
        text={trackingSnippet(props.apiKey)}
        copyLabel="Copy snippet"
      />
    </div>
  );
}
