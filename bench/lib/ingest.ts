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
  /** One answer taken right after a run that had non-2xx answers (wrk counts them but does not keep them). */
  non2xxSample: string | null;
}

/** One ingest request with fetch: its status and the start of its body. */
export async function probeIngest(
  url: string,
  apiKey: string,
  bodyFile: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey, "user-agent": USER_AGENT },
    body: Bun.file(bodyFile),
  });
  return { status: response.status, text: (await response.text()).slice(0, 300) };
}

export async function measureIngest(
  ctx: BenchContext,
  baseUrl: string,
  apiKey: string,
  bodies: { one: string; hundred: string },
  serverPid: number,
): Promise<IngestResult> {
  const url = `${baseUrl}/api/v1/events/ingest`;
  const common = {
    url,
    apiKey,
    userAgent: USER_AGENT,
    connections: ctx.options.connections,
    threads: ctx.options.threads,
    serverPid,
  };
  const probe = await probeIngest(url, apiKey, bodies.hundred);
  if (probe.status !== 202) throw new Error(`POST ${url} answered ${probe.status}, not 202: ${probe.text}`);
  const warm = await runWrk({ ...common, bodyFile: bodies.one, durationS: 1 });
  const one = await runWrk({ ...common, bodyFile: bodies.one, durationS: ctx.options.durationS });
  const oneSample = one.non2xx > 0 ? await probeIngest(url, apiKey, bodies.one) : null;
  const hundred = await runWrk({ ...common, bodyFile: bodies.hundred, durationS: ctx.options.durationS });
  const hundredSample = hundred.non2xx > 0 ? await probeIngest(url, apiKey, bodies.hundred) : null;
  const sample = oneSample ?? hundredSample;
  const ok = (r: WrkResult) => r.requests - r.non2xx;
  return {
    one,
    hundred,
    acceptedEvents: ok(warm) + ok(one) + ok(hundred) * 100,
    non2xxSample: sample ? `${sample.status} ${sample.text}` : null,
  };
}
