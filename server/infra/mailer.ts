/**
 * Outgoing mail through SMTP_URL (nodemailer), one transport per URL per process. Without SMTP_URL there is no
 * mailer and callers fall back (invitation links shown only to whoever made them; password reset by the
 * administrator or `bun run admin -- reset-password`). A failed send is the caller's to report, never silent.
 */
import nodemailer, { type Transporter } from "nodemailer";
import type { Config } from "../env.ts";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export type SendMail = (message: MailMessage) => Promise<void>;

const transports = new Map<string, Transporter>();

/**
 * Uses `transport` for SMTP_URL `url` in this process instead of connecting (tests give nodemailer's
 * jsonTransport to read what would have been sent).
 */
export function useMailTransport(url: string, transport: Transporter): void {
  transports.set(url, transport);
}

/** The mail sender of this configuration, or null when SMTP is not configured. */
export function mailerFor(config: Pick<Config, "SMTP_URL" | "MAIL_FROM">): SendMail | null {
  const url = config.SMTP_URL;
  if (!url) return null;
  return async (message) => {
    let transport = transports.get(url);
    if (!transport) {
      transport = nodemailer.createTransport(url);
      transports.set(url, transport);
    }
    await transport.sendMail({ from: config.MAIL_FROM, to: message.to, subject: message.subject, text: message.text });
  };
}
