/**
 * The account menu in the header: who is signed in, "Change password", "Sign out". A menu button (WAI-ARIA pattern):
 * Enter/Space/ArrowDown open it on the first item, arrows move, Escape closes and returns focus to the button.
 */
import { createSignal, createUniqueId, onCleanup, onMount, Show } from "solid-js";
import { trpc } from "../lib/trpc.ts";

export function AccountMenu(props: { email: string; fullName: string | null }) {
  const [open, setOpen] = createSignal(false);
  const [signingOut, setSigningOut] = createSignal(false);
  const menuId = createUniqueId();
  let button: HTMLButtonElement | undefined;
  let menu: HTMLDivElement | undefined;

  const items = () => Array.from(menu?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
  const focusItem = (index: number) => {
    const list = items();
    if (list.length) list[(index + list.length) % list.length]!.focus();
  };
  const openMenu = (focusIndex = 0) => {
    setOpen(true);
    queueMicrotask(() => focusItem(focusIndex));
  };
  const close = (returnFocus = true) => {
    setOpen(false);
    if (returnFocus) button?.focus();
  };

  onMount(() => {
    const onPointerDown = (event: PointerEvent) => {
      if (open() && !menu?.contains(event.target as Node) && !button?.contains(event.target as Node)) close(false);
    };
    document.addEventListener("pointerdown", onPointerDown);
    onCleanup(() => document.removeEventListener("pointerdown", onPointerDown));
  });

  const signOut = async () => {
    setSigningOut(true);
    try {
      await trpc.auth.logout.mutate();
    } catch (error) {
      // The server may already consider the session gone; the UI signs out regardless.
      console.warn("sign-out call failed", error);
    }
    // A full page load, not a client-side navigation: nothing of the account (cached answers, the router's state)
    // outlives the sign-out in this tab, and no redirect of a page being unmounted can race it. (In-page, the
    // account menu's navigate and SignedInLayout's redirect raced and now and then left an empty #root.)
    window.location.replace("/login");
  };

  const onMenuKeyDown = (event: KeyboardEvent) => {
    const list = items();
    const index = list.indexOf(document.activeElement as HTMLElement);
    if (event.key === "ArrowDown") focusItem(index + 1);
    else if (event.key === "ArrowUp") focusItem(index - 1);
    else if (event.key === "Home") focusItem(0);
    else if (event.key === "End") focusItem(list.length - 1);
    else if (event.key === "Escape") close();
    else if (event.key === "Tab") close(false);
    else return;
    if (event.key !== "Tab") event.preventDefault();
  };

  const initial = () => (props.fullName || props.email).trim().charAt(0).toUpperCase() || "?";

  return (
    <div class="relative">
      <button
        ref={button}
        type="button"
        class="focus-ring flex items-center gap-2 rounded-full py-1 pl-1 pr-2 text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800"
        aria-haspopup="menu"
        aria-expanded={open()}
        aria-controls={menuId}
        onClick={() => (open() ? close() : openMenu())}
        onKeyDown={(event) => {
          if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            event.preventDefault();
            openMenu(event.key === "ArrowUp" ? -1 : 0);
          }
        }}
      >
        <span
          aria-hidden="true"
          class="grid h-7 w-7 place-items-center rounded-full bg-indigo-600 text-xs font-semibold text-white"
        >
          {initial()}
        </span>
        <span class="hidden max-w-40 truncate sm:inline">{props.fullName || props.email}</span>
        <span class="sr-only sm:hidden">Account</span>
        <span aria-hidden="true" class="text-xs text-muted">
          ▾
        </span>
      </button>
      <Show when={open()}>
        <div
          ref={menu}
          id={menuId}
          role="menu"
          aria-label="Account"
          class="absolute right-0 z-30 mt-2 w-60 overflow-hidden rounded-xl border border-zinc-200 bg-white py-1 shadow-lg dark:(border-zinc-800 bg-zinc-900)"
          onKeyDown={onMenuKeyDown}
        >
          <div class="border-b border-zinc-100 px-3 py-2 dark:border-zinc-800">
            <p class="truncate text-sm font-medium">{props.fullName || "Signed in"}</p>
            <p class="truncate text-xs text-muted">{props.email}</p>
          </div>
          <a
            role="menuitem"
            tabindex="-1"
            href="/account"
            class="block px-3 py-2 text-sm outline-none hover:bg-zinc-100 focus:bg-zinc-100 dark:(hover:bg-zinc-800 focus:bg-zinc-800)"
            onClick={() => close(false)}
          >
            Change password
          </a>
          <button
            role="menuitem"
            tabindex="-1"
            type="button"
            class="block w-full px-3 py-2 text-left text-sm outline-none hover:bg-zinc-100 focus:bg-zinc-100 disabled:opacity-50 dark:(hover:bg-zinc-800 focus:bg-zinc-800)"
            disabled={signingOut()}
            onClick={() => void signOut()}
          >
            {signingOut() ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </Show>
    </div>
  );
}
