/**
 * Ingest: POST /api/v1/events/ingest under wrk (same bodies, connections and threads as the HTTP ceiling), with
 * the API server running alone, like the bare server was. The worker is started afterwards to drain what was
 * accepted (that drain is the pipeline phase's "drain rate from a pre-filled stream"), so the endpoint is
 * measured without the worker and PostgreSQL taking the same cores, and the whole pipeline is measured separately.
 */
import type { BenchContext } from "./context.ts";
import { USER_AGENT } from "./payloads.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

export interface IngestResult {
  one: WrkResult;
  hundred: WrkResult;
  /** Events the server accepted (2xx answers times events per body). */
  acceptedEvents: number;
}

export async function measureIngest(
  ctx: BenchContext,
  baseUrl: string,
  apiKey: string,
  bodies: { one: string; hundred: string },
): Promise<IngestResult> {
  const url = `${baseUrl}/api/v1/events/ingest`;
  const common = { url, apiKey, userAgent: USER_AGENT, connections: ctx.options.connections, threads: ctx.options.threads };
  const warm = await runWrk({ ...common, bodyFile: bodies.one, durationS: 1 });
  const one = await runWrk({ ...common, bodyFile: bodies.one, durationS: ctx.options.durationS });
  const hundred = await runWrk({ ...common, bodyFile: bodies.hundred, durationS: ctx.options.durationS });
  const ok = (r: WrkResult) => r.requests - r.non2xx;
  return { one, hundred, acceptedEvents: ok(warm) + ok(one) + ok(hundred) * 100 };
}
