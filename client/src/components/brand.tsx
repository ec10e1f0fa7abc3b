/** The product mark and name, shared by the landing page, the auth pages and the header. */
import { A } from "@solidjs/router";

export function Brand(props: {
  href?: string /** Hide the name on phones, where the header is tight. */;
  compact?: boolean;
}) {
  return (
    <A
      href={props.href ?? "/"}
      class="focus-ring flex items-center gap-2 rounded-lg font-semibold tracking-tight"
      aria-label={props.compact ? "Analytics home" : undefined}
    >
      <svg aria-hidden="true" viewBox="0 0 32 32" class="h-7 w-7">
        <rect width="32" height="32" rx="8" fill="#4f46e5" />
        <path d="M8 22V14M14 22V9M20 22v-6M26 22V12" stroke="#fff" stroke-width="3" stroke-linecap="round" />
      </svg>
      <span class={props.compact ? "hidden sm:inline" : undefined}>Analytics</span>
    </A>
  );
}
