/**
 * The script-tag entry (built to sdk.js / sdk.min.js): reads the `data-*` attributes of its own <script> and puts
 * the tracker on `window.tracker`. Attributes match the seed's snippet so existing installs keep working:
 * data-project (required), data-api-url (default: the script's origin), data-hash-routing, data-respect-dnt,
 * data-require-consent (boolean attributes; "false" turns one off), data-persist ("local": keep an anonymous id in
 * localStorage; absent: store nothing, the server derives a daily visitor id).
 */

import { createTracker } from "./tracker.ts";
import type { Tracker } from "./types.ts";

declare global {
  interface Window {
    tracker: Tracker;
  }
}

const script = document.currentScript;
const attr = (name: string) => script && script.getAttribute("data-" + name);
const flag = (name: string) => {
  const value = attr(name);
  return value != null && value != "false";
};
const project = attr("project");

try {
  // Without a project the tracker still exists (so host calls never hit undefined) but records nothing.
  if (!project) console.warn("tracker: no data-project attribute on the script tag, so nothing is tracked");
  // A snippet pasted twice (say, in the template and through a tag manager) must not count everything twice.
  window.tracker =
    window.tracker ||
    createTracker({
      project: project || "",
      apiUrl: attr("api-url") || new URL((script as HTMLScriptElement | null)?.src || location.href).origin,
      hashRouting: flag("hash-routing"),
      respectDnt: flag("respect-dnt"),
      requireConsent: flag("require-consent"),
      persist: attr("persist") == "local" ? "local" : undefined,
    });
} catch {
  // Never let the snippet break the host page (e.g. a browser without the APIs it needs).
}
