/**
 * After a COMMIT, stored events go to `events:live:{projectId}` for the live feed: one message per project per
 * batch (a JSON array of events), not one per event, so a 200-row batch is one PUBLISH. The WebSocket side splits
 * it into one frame per event. Publishing is best effort: the events are already stored, and pub/sub never promised
 * delivery to anyone.
 */
import type { LiveEvent } from "../../../shared/ingest.ts";
import type { PubSub } from "../../infra/pub-sub.ts";
import type { Logger } from "../../logger.ts";
import type { EventRow } from "../store/store-events.ts";

export function liveChannel(projectId: string): string {
  return `events:live:${projectId}`;
}

export function toLiveEvent(row: EventRow): LiveEvent {
  return {
    insertId: row.insertId,
    event: row.eventName,
    distinctId: row.distinctId,
    sessionId: row.sessionId,
    properties: row.properties,
    pageUrl: row.pageUrl,
    timestamp: row.timestamp.toISOString(),
  };
}

/**
 * Publishes stored rows grouped by project, to the projects someone is watching (turning thousands of rows into
 * JSON nobody receives was a few per cent of the worker's CPU); failures are logged, never thrown.
 */
export async function publishStoredEvents(pubsub: PubSub, logger: Logger, rows: readonly EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  const byProject = new Map<string, EventRow[]>();
  for (const row of rows) {
    let list = byProject.get(row.projectId);
    if (!list) {
      list = [];
      byProject.set(row.projectId, list);
    }
    list.push(row);
  }
  const results = await Promise.allSettled(
    [...byProject].map(async ([projectId, list]) => {
      const channel = liveChannel(projectId);
      if (await pubsub.hasSubscribers(channel)) await pubsub.publish(channel, JSON.stringify(list.map(toLiveEvent)));
    }),
  );
  const failed = results.filter((result) => result.status === "rejected");
  if (failed.length) {
    logger.warn("could not publish stored events to the live feed", {
      channels: failed.length,
      error: (failed[0] as PromiseRejectedResult).reason,
    });
  }
}
