/** Keeps document.title in step with the page, so tabs, history and screen readers name where the person is. */
import { createEffect } from "solid-js";

const PRODUCT = "Analytics";

export function usePageTitle(title: () => string | undefined): void {
  createEffect(() => {
    const page = title();
    document.title = page ? `${page} · ${PRODUCT}` : PRODUCT;
  });
}
