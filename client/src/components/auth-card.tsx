/** The centred card of the sign-in and registration pages. */
import type { JSX } from "solid-js";
import { Brand } from "./brand.tsx";

export function AuthCard(props: {
  title: string;
  subtitle?: JSX.Element;
  children: JSX.Element;
  footer?: JSX.Element;
}) {
  return (
    <div class="flex min-h-screen flex-col items-center justify-center px-4 py-10">
      <div class="mb-6">
        <Brand />
      </div>
      <main class="card w-full max-w-sm p-6 sm:p-8">
        <h1 class="text-xl font-semibold tracking-tight">{props.title}</h1>
        {props.subtitle && <p class="mt-1 text-sm text-muted">{props.subtitle}</p>}
        <div class="mt-6">{props.children}</div>
      </main>
      {props.footer && <p class="mt-6 text-sm text-muted">{props.footer}</p>}
    </div>
  );
}
