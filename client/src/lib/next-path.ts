/** Where to send people after signing in, and the login link that brings them back. */

/**
 * Where to go after signing in: only same-site paths ("/projects/1?period=30d"), never "//evil.example" or
 * "https://...", so a crafted login link cannot send people elsewhere.
 */
export function safeNextPath(next: string | null | undefined, fallback = "/projects"): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return fallback;
  if (next.startsWith("/login") || next.startsWith("/register")) return fallback;
  return next;
}

/** The login URL that brings the person back to `path` afterwards. */
export function loginUrlFor(path: string): string {
  const next = safeNextPath(path, "");
  return next ? `/login?next=${encodeURIComponent(next)}` : "/login";
}
