/**
 * Invitation links: `/invite/` + base64url of 32 random bytes. Only the SHA-256 (hex) is stored
 * (team_invitations.token_hash), so a database dump holds no usable link; the token leaves the server once, in the
 * answer to teams.invite (and the mail, when SMTP is configured).
 */
import { randomBytes } from "node:crypto";
import { INVITATION_PATH } from "../../shared/teams.ts";

export function hashInvitationToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

export function generateInvitationToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashInvitationToken(token) };
}

/** The link to the accept page: absolute when PUBLIC_URL is set, else a path on this server. */
export function invitationUrl(publicUrl: string | undefined, token: string): string {
  return `${publicUrl ? publicUrl.replace(/\/+$/, "") : ""}${INVITATION_PATH}${token}`;
}
