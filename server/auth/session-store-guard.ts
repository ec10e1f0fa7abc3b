/**
 * Maps a key-store outage during an auth operation to a clear tRPC error instead of a generic 500: sessions,
 * lockout counters and tickets all live in the key store, and without it nothing can be signed in safely.
 */
import { type TRPC_ERROR_CODE_KEY, TRPCError } from "@trpc/server";
import type { Logger } from "../logger.ts";

export const SESSION_STORE_UNAVAILABLE =
  "Sign-in is unavailable right now because the session store cannot be reached. Try again shortly.";

/** Runs `operation`; if it rejects, logs the outage and throws `code` (503 unless told otherwise) with a clear message. */
export async function guardSessionStore<T>(
  logger: Logger,
  action: string,
  operation: () => Promise<T>,
  code: TRPC_ERROR_CODE_KEY = "SERVICE_UNAVAILABLE",
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    logger.warn(`session store unavailable during ${action}`, { error });
    throw new TRPCError({ code, message: SESSION_STORE_UNAVAILABLE, cause: error });
  }
}
