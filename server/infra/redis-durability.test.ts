import { afterAll, describe, expect, it } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type PrivateRedis, startPrivateRedis } from "../test-support/private-redis.ts";
import { connectRedis } from "./redis.ts";
import { checkRedisDurability } from "./redis-durability.ts";

const servers: PrivateRedis[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A private redis-server with these settings (AOF files in a temp folder of its own). */
async function durabilityOf(args: string[]) {
  const dir = await mkdtemp(path.join(tmpdir(), "ad-redis-"));
  dirs.push(dir);
  const server = await startPrivateRedis(["--dir", dir, ...args]);
  servers.push(server);
  const redis = connectRedis(server.url);
  try {
    return await checkRedisDurability(redis);
  } finally {
    redis.disconnect();
  }
}

describe("checkRedisDurability", () => {
  it("reports a Redis without AOF as unsafe", async () => {
    expect((await durabilityOf([])).summary).toBe("unsafe: appendonly=no");
  });

  it("accepts AOF with appendfsync everysec and noeviction", async () => {
    const result = await durabilityOf([
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--maxmemory-policy",
      "noeviction",
    ]);
    expect(result).toEqual({ state: "durable", summary: "ok" });
  });

  it("counts appendfsync no as unsafe", async () => {
    expect((await durabilityOf(["--appendonly", "yes", "--appendfsync", "no"])).summary).toBe("unsafe: appendfsync=no");
  });

  it("reports an eviction policy that can drop the stream", async () => {
    const result = await durabilityOf(["--appendonly", "yes", "--maxmemory-policy", "allkeys-lru"]);
    expect(result.summary).toBe("unsafe: maxmemory-policy=allkeys-lru");
  });

  it("lists every unsafe setting at once", async () => {
    const result = await durabilityOf(["--maxmemory-policy", "volatile-lru"]);
    expect(result.summary).toBe("unsafe: appendonly=no, maxmemory-policy=volatile-lru");
  });

  it("says unknown when CONFIG is renamed away, as managed services do", async () => {
    const result = await durabilityOf(["--appendonly", "yes", "--rename-command", "CONFIG", ""]);
    expect(result).toEqual({ state: "unknown", summary: "unknown: CONFIG not allowed" });
  });

  it("says unknown, without throwing, when Redis cannot be reached", async () => {
    const server = await startPrivateRedis();
    const redis = connectRedis(server.url, { enableOfflineQueue: false });
    await server.stop();
    try {
      const result = await checkRedisDurability(redis);
      expect(result.state).toBe("unknown");
      expect(result.summary).toStartWith("unknown: cannot ask Redis");
    } finally {
      redis.disconnect();
    }
  });
});
