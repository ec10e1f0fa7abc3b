/**
 * Single-use tickets for the live-feed WebSocket, so browsers never put a token in a URL. `auth.wsTicket` issues one
 * (after the project procedure checked that the caller may see the project); the WebSocket route calls
 * `consumeWsTicket` on connect. A ticket is 32 random bytes, valid 30 s, stored under the SHA-256 of its value and
 * taken with GETDEL, so of two connections presenting it at most one gets it. Consuming also checks that the login
 * session that asked for it is still live (a ticket does not outlive a logout).
 */
import { z } from "zod";
import type { Services } from "../services.ts";
import { isSessionLive } from "./sessions.ts";

export const WS_TICKET_TTL_MS = 30_000;

const ticketRecordSchema = z.object({ projectId: z.uuid(), userId: z.uuid(), sessionId: z.string() });

function ticketKey(ticket: string): string {
  return `auth:ws-ticket:${new Bun.CryptoHasher("sha256").update(ticket).digest("hex")}`;
}

/** Issues a ticket for a user's session to watch one project. */
export async function issueWsTicket(
  services: Services,
  grant: { projectId: string; userId: string; sessionId: string },
): Promise<{ ticket: string; expiresAt: Date }> {
  const ticket = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  await services.kv.set(ticketKey(ticket), JSON.stringify(grant), WS_TICKET_TTL_MS);
  return { ticket, expiresAt: new Date(Date.now() + WS_TICKET_TTL_MS) };
}

/**
 * Takes a ticket (it can never be used again) and returns what it grants, or null when it is unknown, expired,
 * already used, or its session has ended. Rejects when the key store is unreachable: the caller must refuse the
 * connection.
 */
export async function consumeWsTicket(
  services: Services,
  ticket: string,
): Promise<{ projectId: string; userId: string; sessionId: string } | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(ticket)) return null;
  const raw = await services.kv.take(ticketKey(ticket));
  if (raw === null) return null;
  const grant = ticketRecordSchema.parse(JSON.parse(raw));
  if (!(await isSessionLive(services, { userId: grant.userId, sessionId: grant.sessionId }))) return null;
  return grant;
}
