/**
 * UnoCSS for the dashboard: Tailwind-compatible utilities, dark mode following the system (`prefers-color-scheme`),
 * and a few shortcuts so buttons, cards and fields look the same on every page.
 */
import { defineConfig, presetWind3, transformerVariantGroup } from "unocss";

export default defineConfig({
  presets: [presetWind3({ dark: "media" })],
  transformers: [transformerVariantGroup()],
  theme: {
    fontFamily: {
      sans: 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
      mono: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    },
  },
  shortcuts: {
    "focus-ring":
      "outline-none focus-visible:(ring-2 ring-indigo-500 ring-offset-2 ring-offset-white dark:ring-offset-zinc-950)",
    btn: "focus-ring inline-flex items-center justify-center gap-2 rounded-lg px-3.5 py-2 text-sm font-medium transition-colors disabled:(opacity-50 cursor-not-allowed) cursor-pointer select-none whitespace-nowrap",
    "btn-primary": "btn bg-indigo-600 text-white hover:bg-indigo-500 active:bg-indigo-700 shadow-sm",
    "btn-secondary":
      "btn border border-zinc-300 bg-white text-zinc-800 hover:bg-zinc-50 dark:(border-zinc-700 bg-zinc-900 text-zinc-100 hover:bg-zinc-800)",
    "btn-danger": "btn bg-red-600 text-white hover:bg-red-500 active:bg-red-700 shadow-sm",
    "btn-ghost": "btn text-zinc-700 hover:bg-zinc-100 dark:(text-zinc-300 hover:bg-zinc-800)",
    card: "rounded-xl border border-zinc-200 bg-white shadow-sm dark:(border-zinc-800 bg-zinc-900)",
    "field-label": "block text-sm font-medium text-zinc-700 dark:text-zinc-300",
    "field-input":
      "focus-ring mt-1 block w-full rounded-lg border border-zinc-300 bg-white px-3 py-2 text-sm text-zinc-900 placeholder-zinc-400 shadow-sm dark:(border-zinc-700 bg-zinc-950 text-zinc-100 placeholder-zinc-500) aria-[invalid=true]:border-red-500",
    "text-muted": "text-zinc-600 dark:text-zinc-400",
    link: "focus-ring rounded text-indigo-700 underline decoration-indigo-300 underline-offset-2 hover:decoration-current dark:(text-indigo-300 decoration-indigo-500/60)",
  },
});
