/**
 * The process's Prometheus metrics (served at /api/v1/metrics, see server/http/routes/metrics.ts), in a registry of its
 * own (never prom-client's global one: each Services, tests included, has its own).
 *
 * Pipeline gauges are read from the stream at scrape time, all in one snapshot, so they describe the whole
 * installation whichever API process answers (the stream is shared through Redis). The stored-events counter is
 * kept by the workers (see server/metrics/stored-events-counter.ts). `queryTimeouts` counts in this process only:
 * Prometheus scrapes each API process and sums.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { EventStream } from "../pipeline/stream/event-stream.ts";
import type { StoredEventsCounter } from "./stored-events-counter.ts";

export interface Metrics {
  /** Dashboard queries cancelled by the analytics statement timeout: `services.metrics.queryTimeouts.inc()`. */
  queryTimeouts: { inc(): void };
  /** Where workers add what they stored (in Redis with REDIS_URL, in memory embedded). */
  storedEvents: StoredEventsCounter;
  /** Where the worker and the direct-write path add the events they dropped as a deleted person's (suppression). */
  suppressedEvents: StoredEventsCounter;
  /** The exposition text; rejects when the stream cannot be read (the scrape then fails rather than report zeros). */
  render(): Promise<{ contentType: string; body: string }>;
}

/** The query engine's upgrade backfill over the whole installation (read from the database at scrape time). */
export type EngineBackfillProgress = () => Promise<{ pendingProjects: number; backfilledEvents: number }>;

export function createMetrics(deps: {
  stream: EventStream;
  storedEvents: StoredEventsCounter;
  suppressedEvents: StoredEventsCounter;
  engineBackfill?: EngineBackfillProgress;
}): Metrics {
  const registry = new Registry();
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  const streamLength = gauge(
    "analytics_stream_length",
    "Entries in the ingest stream (one per accepted ingest request), acknowledged ones not yet trimmed included.",
  );
  const streamPending = gauge(
    "analytics_stream_pending",
    "Stream entries delivered to a worker and not yet acknowledged (stored).",
  );
  const streamLag = gauge("analytics_stream_lag_entries", "Stream entries not yet delivered to any worker.");
  const streamLagSeconds = gauge(
    "analytics_stream_lag_seconds",
    "Age of the oldest stream entry not yet stored (pending or undelivered), by its stream id; 0 when there is none.",
  );
  const deadLetters = gauge(
    "analytics_dead_letters",
    "Entries in the dead-letter stream (see `bun run admin -- dead-letters list`).",
  );
  const stored = new Counter({
    name: "analytics_worker_events_stored_total",
    help: "Events stored by each worker (duplicates not counted); its rate is the pipeline's events per second.",
    labelNames: ["consumer"] as const,
    registers: [registry],
  });
  const suppressed = new Counter({
    name: "analytics_events_suppressed_total",
    help: "Events dropped when stored because they name a person deleted in the last 30 days (answered 202 at ingest), by worker or direct write.",
    labelNames: ["consumer"] as const,
    registers: [registry],
  });
  const backfilledEvents = new Counter({
    name: "analytics_engine_backfill_events_total",
    help: "Events stored before the query engine existed that the upgrade backfill has written into segments, all projects.",
    registers: [registry],
  });
  const backfillPending = gauge(
    "analytics_engine_backfill_projects_pending",
    "Projects whose upgrade backfill is not done: the engine does not serve them yet (rollups and raw events do).",
  );
  const queryTimeouts = new Counter({
    name: "analytics_query_timeouts_total",
    help: "Dashboard queries cancelled by the analytics statement timeout, in this process.",
    registers: [registry],
  });

  return {
    queryTimeouts,
    storedEvents: deps.storedEvents,
    suppressedEvents: deps.suppressedEvents,
    render: async () => {
      const [backlog, oldest, dead, storedByConsumer, backfill, suppressedByConsumer] = await Promise.all([
        deps.stream.backlog(),
        deps.stream.oldestUnstoredId(),
        deps.stream.deadLetterCount(),
        deps.storedEvents.read(),
        // The database being away must not fail the scrape (it is about the stream): the backfill's figures are
        // then left out of this one.
        deps.engineBackfill?.().catch(() => null) ?? null,
        deps.suppressedEvents.read(),
      ]);
      streamLength.set(backlog.length);
      streamPending.set(backlog.pending);
      streamLag.set(backlog.lag);
      // A stream id starts with the milliseconds at which it was appended (Redis' clock, or this process's embedded).
      streamLagSeconds.set(oldest ? Math.max(0, Date.now() - Number(oldest.split("-")[0])) / 1000 : 0);
      deadLetters.set(dead);
      stored.reset();
      for (const [consumer, count] of storedByConsumer) stored.inc({ consumer }, count);
      suppressed.reset();
      for (const [consumer, count] of suppressedByConsumer) suppressed.inc({ consumer }, count);
      if (backfill) {
        backfilledEvents.reset();
        backfilledEvents.inc(backfill.backfilledEvents);
        backfillPending.set(backfill.pendingProjects);
      }
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
