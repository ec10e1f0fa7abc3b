/** The invitation mail (teams.invite), sent when SMTP is configured. */
import type { TeamRole } from "../../../shared/roles.ts";
import { INVITATION_TTL_DAYS } from "../../../shared/teams.ts";
import { mailerFor } from "../../infra/mailer.ts";
import type { Services } from "../../services.ts";

/**
 * Mails the invitation link; true when sent. Without SMTP, or when sending fails (logged, without the link), false:
 * the link is still returned to whoever invited, who can pass it on.
 */
export async function sendInvitationMail(
  services: Pick<Services, "config" | "logger">,
  input: { to: string; teamName: string; invitedBy: string; role: TeamRole; url: string },
): Promise<boolean> {
  const send = mailerFor(services.config);
  if (!send) return false;
  try {
    await send({
      to: input.to,
      subject: `You are invited to ${input.teamName}`,
      text:
        `${input.invitedBy} invites you to the team "${input.teamName}" as ${input.role}.\n\n` +
        `Accept: ${input.url}\n\n` +
        `The link works once, for ${input.to} only, and expires in ${INVITATION_TTL_DAYS} days.\n`,
    });
    return true;
  } catch (error) {
    services.logger.warn("could not mail an invitation", { error, to: input.to });
    return false;
  }
}
