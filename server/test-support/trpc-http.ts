/**
 * tRPC calls over HTTP through the app (`app.request`), for tests of what the request's headers decide (share
 * sessions, read-key bearers): a query as GET with `?input=`, a mutation as a JSON POST.
 */
import type { createApp } from "../http/app.ts";

export interface TrpcHttpAnswer {
  status: number;
  data: unknown;
  error: { message: string; code: number; data: { code: string; httpStatus: number } } | null;
}

export async function callTrpcOverHttp(
  app: ReturnType<typeof createApp>,
  kind: "query" | "mutation",
  path: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<TrpcHttpAnswer> {
  const url = `http://localhost/api/trpc/${path}`;
  const res =
    kind === "query"
      ? await app.request(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`, {
          headers,
        })
      : await app.request(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(input),
        });
  const body = (await res.json()) as { result?: { data: unknown }; error?: TrpcHttpAnswer["error"] };
  return { status: res.status, data: body.result?.data, error: body.error ?? null };
}
