/**
 * Full API keys this tab has just received (create, rotate), by project id, so the empty dashboard can show a
 * ready-to-paste snippet right after creating a project. Memory only: never written to any storage, gone on reload,
 * as the server shows a key once.
 */
const keys = new Map<string, string>();

export function rememberFreshKey(projectId: string, apiKey: string): void {
  keys.set(projectId, apiKey);
}

export function freshKey(projectId: string): string | undefined {
  return keys.get(projectId);
}

export function forgetFreshKey(projectId: string): void {
  keys.delete(projectId);
}
