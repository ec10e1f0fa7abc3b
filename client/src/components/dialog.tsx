/**
 * A modal built on the native <dialog>: the browser traps focus, closes on Escape and restores focus to the opener.
 * Content is rendered only while open so forms start fresh each time.
 */
import { createEffect, createUniqueId, type JSX, onCleanup, Show } from "solid-js";
import { FormError } from "./query-boundary.tsx";

export function Dialog(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: JSX.Element;
  /** The role for a confirmation ("alertdialog") or an ordinary dialog. */
  role?: "dialog" | "alertdialog";
}) {
  let element: HTMLDialogElement | undefined;
  const titleId = createUniqueId();
  createEffect(() => {
    if (!element) return;
    if (props.open && !element.open) element.showModal();
    if (!props.open && element.open) element.close();
  });
  onCleanup(() => element?.open && element.close());
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the click closes on the backdrop only; the keyboard closes a <dialog> with Escape natively.
    <dialog
      ref={element}
      role={props.role}
      aria-labelledby={titleId}
      class="m-auto w-[calc(100%-2rem)] max-w-md rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-2xl backdrop:bg-zinc-950/50 dark:(border-zinc-800 bg-zinc-900 text-zinc-100)"
      onClose={() => props.onClose()}
      onClick={(event) => {
        // A click on the backdrop lands on the dialog element itself.
        if (event.target === element) props.onClose();
      }}
    >
      <Show when={props.open}>
        <div class="p-5 sm:p-6">
          <h2 id={titleId} class="text-lg font-semibold">
            {props.title}
          </h2>
          <div class="mt-3">{props.children}</div>
        </div>
      </Show>
    </dialog>
  );
}

/** A yes/no confirmation; the confirm button shows progress and the dialog shows the error if the action fails. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  danger?: boolean;
  pending?: boolean;
  /** Keeps the confirm button disabled (e.g. until the user has typed what the dialog asks for). */
  confirmDisabled?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
  children: JSX.Element;
}) {
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose} role="alertdialog">
      <div class="text-sm text-zinc-600 dark:text-zinc-300">{props.children}</div>
      <div class="mt-4">
        <FormError error={props.error} />
      </div>
      <div class="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <button type="button" class="btn-secondary" onClick={() => props.onClose()} autofocus>
          Cancel
        </button>
        <button
          type="button"
          class={props.danger ? "btn-danger" : "btn-primary"}
          disabled={props.pending || props.confirmDisabled}
          onClick={() => props.onConfirm()}
        >
          {props.pending ? "Working…" : props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
