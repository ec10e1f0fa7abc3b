/**
 * Fixed-window rate limits per client IP for tRPC procedures, counted atomically in the key store (Redis or
 * in-process), so every API replica shares one count. A limit that is hit answers TOO_MANY_REQUESTS and a
 * Retry-After header. If the key store is down we let the call through: limits protect capacity, and failing
 * closed here would turn a Redis outage into a full outage (token checks, which guard access, do fail closed).
 */
import { TRPCError } from "@trpc/server";
import type { Services } from "../../services.ts";

/** What counting needs from a procedure's context (init.ts's InnerContext has it): named here, so init.ts imports
 * this file and not the other way round. */
export interface RateLimitContext {
  services: Pick<Services, "config" | "kv" | "logger">;
  clientIp: string;
  /** Where Retry-After goes when the limit is hit. */
  resHeaders: Headers;
}

export interface RateLimitOptions {
  /** The bucket's name; calls sharing a name share a count. */
  name: string;
  /** Requests allowed per minute; defaults to RATE_LIMIT_PER_MINUTE. */
  perMinute?: number;
}

const WINDOW_MS = 60_000;

/** Counts one call against the caller's bucket; throws TOO_MANY_REQUESTS (with Retry-After) over the limit. */
export async function consumeRateLimit(ctx: RateLimitContext, { name, perMinute }: RateLimitOptions): Promise<void> {
  const limit = perMinute ?? ctx.services.config.RATE_LIMIT_PER_MINUTE;
  const window = Math.floor(Date.now() / WINDOW_MS);
  let count: { value: number; ttlMs: number } | null = null;
  try {
    count = await ctx.services.kv.increment(`ratelimit:${name}:${ctx.clientIp}:${window}`, WINDOW_MS);
  } catch (error) {
    ctx.services.logger.warn("rate limit store unavailable; letting the call through", { error, bucket: name });
  }
  if (count && count.value > limit) {
    const retryAfter = Math.max(1, Math.ceil(count.ttlMs / 1000));
    ctx.resHeaders.set("Retry-After", String(retryAfter));
    throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many requests. Try again in ${retryAfter} s.` });
  }
}
