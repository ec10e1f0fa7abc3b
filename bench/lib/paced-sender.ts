/**
 * An open-loop load generator for steady rates (the pipeline and live phases), where wrk's closed loop would send
 * as fast as the server answers. Requests are due on a fixed schedule (`rate` events/s in bodies of
 * `eventsPerRequest`); a request that cannot start because `maxInFlight` are outstanding is counted as `behind`,
 * so a server that falls behind shows up instead of silently lowering the offered load. Runs in the bench process:
 * at a few hundred requests per second its own cost is small next to wrk's.
 */

export interface PacedResult {
  sent: number;
  ok: number;
  /** Non-2xx answers by status. */
  failures: Record<string, number>;
  /** Requests whose slot came while `maxInFlight` were outstanding (offered load not met). */
  behind: number;
  startedAt: number;
  endedAt: number;
  /** Events in 2xx-answered requests (per the server's `accepted` count). */
  accepted: number;
}

export async function sendPaced(options: {
  url: string;
  apiKey: string;
  userAgent: string;
  rate: number;
  eventsPerRequest: number;
  durationS: number;
  /** Makes the body of request number `seq`. */
  body: (seq: number) => string;
  /** Called with the request number when its 202 arrives. */
  onAccepted?: (seq: number, at: number) => void;
  maxInFlight?: number;
}): Promise<PacedResult> {
  const maxInFlight = options.maxInFlight ?? 64;
  const requestsPerS = options.rate / options.eventsPerRequest;
  const total = Math.round(requestsPerS * options.durationS);
  const result: PacedResult = {
    sent: 0,
    ok: 0,
    failures: {},
    behind: 0,
    startedAt: performance.now(),
    endedAt: 0,
    accepted: 0,
  };
  const headers = { "content-type": "application/json", "x-api-key": options.apiKey, "user-agent": options.userAgent };
  const inFlight = new Set<Promise<void>>();

  const send = (seq: number) => {
    const request = fetch(options.url, { method: "POST", headers, body: options.body(seq) })
      .then(async (response) => {
        const text = await response.text();
        if (response.status >= 200 && response.status < 300) {
          result.ok++;
          options.onAccepted?.(seq, performance.now());
          const accepted = (JSON.parse(text) as { accepted?: number }).accepted;
          result.accepted += typeof accepted === "number" ? accepted : 0;
        } else {
          result.failures[response.status] = (result.failures[response.status] ?? 0) + 1;
        }
      })
      .catch((error: Error) => {
        result.failures[error.name] = (result.failures[error.name] ?? 0) + 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };

  let seq = 0;
  while (seq < total) {
    const due = Math.min(total, Math.floor(((performance.now() - result.startedAt) / 1000) * requestsPerS) + 1);
    while (seq < due) {
      if (inFlight.size >= maxInFlight) {
        result.behind++;
      } else {
        send(seq);
        result.sent++;
      }
      seq++;
    }
    await Bun.sleep(Math.max(1, Math.min(10, 1000 / requestsPerS)));
  }
  await Promise.all(inFlight);
  result.endedAt = performance.now();
  return result;
}
