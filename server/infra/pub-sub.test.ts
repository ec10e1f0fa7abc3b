import { afterAll, describe, expect, it } from "bun:test";
import { loadTestServiceUrls } from "../test-support/test-environment.ts";
import { MemoryPubSub, type PubSub, RedisPubSub } from "./pub-sub.ts";
import { connectRedis } from "./redis.ts";

const redisUrl = loadTestServiceUrls().redis;
const closers: Array<() => unknown> = [];

afterAll(async () => {
  for (const close of closers) await close();
});

/** Two handles on one bus, as two processes would have: one publishes, the other subscribes. */
function redisPair(): [PubSub, PubSub] {
  const prefix = `ad_test:pubsub:${Bun.randomUUIDv7()}:`;
  const make = () => {
    const publisher = connectRedis(redisUrl);
    const pubsub = new RedisPubSub(publisher, connectRedis(redisUrl), prefix);
    closers.push(
      () => pubsub.close(),
      () => publisher.disconnect(),
    );
    return pubsub;
  };
  return [make(), make()];
}

function memoryPair(): [PubSub, PubSub] {
  const pubsub = new MemoryPubSub();
  return [pubsub, pubsub];
}

for (const [name, pair] of [
  ["RedisPubSub", redisPair],
  ["MemoryPubSub", memoryPair],
] as const) {
  describe(name, () => {
    it("says whether anyone listens on a channel, and delivers to who does", async () => {
      const [publisher, listener] = pair();
      expect(await publisher.hasSubscribers("events:live:a")).toBe(false);
      const received: string[] = [];
      const unsubscribe = await listener.subscribe("events:live:a", (message) => received.push(message));
      expect(await publisher.hasSubscribers("events:live:a")).toBe(true);
      expect(await publisher.hasSubscribers("events:live:b")).toBe(false);
      await publisher.publish("events:live:a", "hello");
      for (let i = 0; i < 50 && received.length === 0; i++) await Bun.sleep(10);
      expect(received).toEqual(["hello"]);
      await unsubscribe();
      expect(await publisher.hasSubscribers("events:live:a")).toBe(false);
    });
  });
}
