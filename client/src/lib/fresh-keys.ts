/**
 * Full API keys this tab has just received (create, rotate), by project id, so the empty dashboard and the settings
 * show a ready-to-paste snippet right after creating a project or rotating its key. Memory only: never written to
 * any storage, gone on reload, as the server shows a key once. Reads are reactive.
 */
import { createSignal } from "solid-js";

const [keys, setKeys] = createSignal<ReadonlyMap<string, string>>(new Map());

export function rememberFreshKey(projectId: string, apiKey: string): void {
  setKeys((current) => new Map(current).set(projectId, apiKey));
}

export function freshKey(projectId: string): string | undefined {
  return keys().get(projectId);
}

export function forgetFreshKey(projectId: string): void {
  setKeys((current) => {
    const next = new Map(current);
    next.delete(projectId);
    return next;
  });
}
