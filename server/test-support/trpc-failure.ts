import { TRPCError } from "@trpc/server";

/** The TRPCError a procedure call fails with; throws when it succeeds or fails with anything else. */
export async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}
