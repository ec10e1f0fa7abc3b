/**
 * Publish/subscribe for the live feed. One Redis subscriber connection per process (pub/sub has no backpressure, so
 * fan-out to sockets happens in-process with bounded buffers); an EventEmitter-like map in embedded mode.
 */
import type { Redis } from "ioredis";

export type MessageHandler = (message: string) => void;

export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /**
   * Whether anyone (any process) listens on the channel now, so a publisher can skip building a message nobody
   * would receive. A subscriber that joins right after the answer misses that one message, as it would have
   * missed it had it joined a moment later.
   */
  hasSubscribers(channel: string): Promise<boolean>;
  /** Subscribes a handler; returns a function that removes it. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

class HandlerRegistry {
  private readonly handlers = new Map<string, Set<MessageHandler>>();

  add(channel: string, handler: MessageHandler): boolean {
    let set = this.handlers.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    return first;
  }

  /** Returns true when the channel has no handlers left. */
  remove(channel: string, handler: MessageHandler): boolean {
    const set = this.handlers.get(channel);
    if (!set) return false;
    set.delete(handler);
    if (set.size > 0) return false;
    this.handlers.delete(channel);
    return true;
  }

  has(channel: string): boolean {
    return this.handlers.has(channel);
  }

  dispatch(channel: string, message: string) {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (error) {
        console.error(`pubsub: a handler for ${channel} threw`, error);
      }
    }
  }
}

export class MemoryPubSub implements PubSub {
  private readonly registry = new HandlerRegistry();

  async publish(channel: string, message: string) {
    this.registry.dispatch(channel, message);
  }

  async hasSubscribers(channel: string) {
    return this.registry.has(channel);
  }

  async subscribe(channel: string, handler: MessageHandler) {
    this.registry.add(channel, handler);
    return async () => {
      this.registry.remove(channel, handler);
    };
  }

  async close() {}
}

export class RedisPubSub implements PubSub {
  private readonly registry = new HandlerRegistry();

  /** `publisher` is a normal connection; `subscriber` is dedicated (a subscribed connection can do nothing else). */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix = "",
  ) {
    subscriber.on("message", (channel: string, message: string) => {
      this.registry.dispatch(channel.slice(this.prefix.length), message);
    });
  }

  async publish(channel: string, message: string) {
    await this.publisher.publish(this.prefix + channel, message);
  }

  async hasSubscribers(channel: string) {
    const reply = (await this.publisher.call("pubsub", "numsub", this.prefix + channel)) as [string, number];
    return Number(reply[1]) > 0;
  }

  async subscribe(channel: string, handler: MessageHandler) {
    if (this.registry.add(channel, handler)) await this.subscriber.subscribe(this.prefix + channel);
    return async () => {
      if (this.registry.remove(channel, handler)) await this.subscriber.unsubscribe(this.prefix + channel);
    };
  }

  async close() {
    this.subscriber.disconnect();
  }
}
