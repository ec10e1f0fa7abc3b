/**
 * Fan-out of the live feed inside one server process: one pub/sub subscription per project channel however many
 * sockets watch it (subscribed with the first socket, dropped with the last), each published batch parsed once and
 * each event serialised once for every socket. Pub/sub has no backpressure, so neither may we block on a socket: a
 * socket whose unsent data passes `maxBufferedBytes` is closed (1013, try again later) and never slows the others.
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
  subscribed: Promise<() => Promise<void>>;
}

export const SLOW_CONSUMER_CLOSE_CODE = 1013;

export class LiveHub {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
    private readonly maxBufferedBytes = 1024 * 1024,
  ) {}

  /** Starts sending the project's events to the socket. */
  async join(projectId: string, socket: LiveSocket): Promise<void> {
    let channel = this.channels.get(projectId);
    if (!channel) {
      const sockets = new Set<LiveSocket>();
      channel = {
        sockets,
        subscribed: this.pubsub.subscribe(liveChannel(projectId), (message) =>
          this.dispatch(projectId, sockets, message),
        ),
      };
      this.channels.set(projectId, channel);
    }
    channel.sockets.add(socket);
    await channel.subscribed;
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

  private dispatch(projectId: string, sockets: Set<LiveSocket>, message: string) {
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
