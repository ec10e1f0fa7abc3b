/**
 * Fan-out of the live feed inside one server process: one pub/sub subscription per project channel however many
 * sockets watch it (subscribed with the first socket, dropped with the last), each published batch parsed once and
 * each event serialised once for every socket. Pub/sub has no backpressure, so neither may we block on a socket: a
 * socket whose unsent data passes `maxBufferedBytes` is closed (1013, try again later) and never slows the others.
 *
 * A socket may open with a backfill (the latest stored events). The order closes a race: subscribe first, then read
 * the backfill, so an event stored in between is either in the backfill or arrives live, never lost. Live events
 * that arrive while the backfill is read wait in the socket's queue (at most `maxQueuedEvents`, else 1013) and go
 * out after it, minus those the backfill already held (same insert id): each event reaches the socket once. The
 * backfill (given newest first) is sent oldest first, so every frame is the newest the socket has seen so far and a
 * client that puts each arriving event on top shows the same order as one that sorts by timestamp.
 */
import type { LiveEvent } from "../../../shared/ingest.ts";
import type { PubSub } from "../../infra/pub-sub.ts";
import type { Logger } from "../../logger.ts";
import { liveChannel } from "../../pipeline/worker/publish-stored-events.ts";

export interface LiveSocket {
  send(data: string): void;
  /** Bytes queued for this socket and not yet written. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

interface Channel {
  sockets: Set<LiveSocket>;
  /** Sockets still reading their backfill, with the live events that arrived meanwhile. */
  waiting: Map<LiveSocket, LiveEvent[]>;
  subscribed: Promise<() => Promise<void>>;
}

export const SLOW_CONSUMER_CLOSE_CODE = 1013;

export class LiveHub {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
    private readonly maxBufferedBytes = 1024 * 1024,
    private readonly maxQueuedEvents = 10_000,
  ) {}

  /**
   * Starts sending the project's events to the socket: first what `backfill` returns (read once the subscription
   * is live), then every event stored from then on.
   */
  async join(projectId: string, socket: LiveSocket, backfill?: () => Promise<readonly LiveEvent[]>): Promise<void> {
    let channel = this.channels.get(projectId);
    if (!channel) {
      const sockets = new Set<LiveSocket>();
      const waiting = new Map<LiveSocket, LiveEvent[]>();
      channel = {
        sockets,
        waiting,
        subscribed: this.pubsub.subscribe(liveChannel(projectId), (message) =>
          this.dispatch(projectId, sockets, waiting, message),
        ),
      };
      this.channels.set(projectId, channel);
    }
    channel.sockets.add(socket);
    if (!backfill) {
      await channel.subscribed;
      return;
    }
    const queue: LiveEvent[] = [];
    channel.waiting.set(socket, queue);
    try {
      await channel.subscribed;
      const stored = await backfill();
      if (!channel.sockets.has(socket)) return;
      const sent = new Set<string>();
      for (let i = stored.length - 1; i >= 0; i--) {
        const event = stored[i]!;
        sent.add(event.insertId);
        socket.send(JSON.stringify(event));
      }
      for (const event of queue) if (!sent.has(event.insertId)) socket.send(JSON.stringify(event));
    } finally {
      channel.waiting.delete(socket);
    }
  }

  /** Stops sending to the socket; the last socket of a channel unsubscribes it. */
  async leave(projectId: string, socket: LiveSocket): Promise<void> {
    const channel = this.channels.get(projectId);
    if (!channel) return;
    // The socket may already be gone (closed for being slow); the channel still goes when nobody is left.
    channel.sockets.delete(socket);
    if (channel.sockets.size > 0) return;
    this.channels.delete(projectId);
    const unsubscribe = await channel.subscribed;
    await unsubscribe();
  }

  /** Sockets currently watching a project (for tests and metrics). */
  watchers(projectId: string): number {
    return this.channels.get(projectId)?.sockets.size ?? 0;
  }

  private dispatch(
    projectId: string,
    sockets: Set<LiveSocket>,
    waiting: Map<LiveSocket, LiveEvent[]>,
    message: string,
  ) {
    if (sockets.size === 0) return;
    let events: LiveEvent[];
    try {
      const parsed = JSON.parse(message) as LiveEvent[] | LiveEvent;
      events = Array.isArray(parsed) ? parsed : [parsed];
    } catch (error) {
      this.logger.warn("ignoring a malformed live-feed message", { error, projectId });
      return;
    }
    const frames = events.map((event) => JSON.stringify(event));
    for (const socket of sockets) {
      const queue = waiting.get(socket);
      if (queue) {
        queue.push(...events);
        if (queue.length > this.maxQueuedEvents) {
          sockets.delete(socket);
          waiting.delete(socket);
          socket.close(SLOW_CONSUMER_CLOSE_CODE, "too slow: reconnect to resume the live feed");
        }
        continue;
      }
      if (socket.bufferedAmount() > this.maxBufferedBytes) {
        sockets.delete(socket);
        socket.close(SLOW_CONSUMER_CLOSE_CODE, "too slow: reconnect to resume the live feed");
        this.logger.info("closed a live-feed socket that fell behind", { projectId });
        continue;
      }
      for (const frame of frames) socket.send(frame);
    }
  }
}
