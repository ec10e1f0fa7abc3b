import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { eq } from "drizzle-orm";
import type { Transporter } from "nodemailer";
import { passwordResetTokens } from "../../../db/schema/index.ts";
import { useMailTransport } from "../../../infra/mailer.ts";
import { anonymousCaller, callerWithToken, registerAndSignIn, testEmail } from "../../../test-support/auth.ts";
import { createTestServices, type TestServices } from "../../../test-support/services.ts";
import { failure } from "../../../test-support/trpc-failure.ts";

const HOOK_TIMEOUT_MS = 60_000;
const SMTP_URL = `smtp://mail-${Bun.randomUUIDv7()}.invalid:25`;
const sent: Array<{ from: string; to: string; subject: string; text: string }> = [];

let withMail: TestServices;
let withoutMail: TestServices;

beforeAll(async () => {
  // What would go out over SMTP is collected here instead.
  useMailTransport(SMTP_URL, { sendMail: async (message: never) => void sent.push(message) } as unknown as Transporter);
  withMail = await createTestServices({
    SMTP_URL,
    MAIL_FROM: "Analytics <analytics@example.test>",
    PUBLIC_URL: "https://analytics.example.test",
  });
  withoutMail = await createTestServices();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await withMail.cleanup();
  await withoutMail.cleanup();
}, HOOK_TIMEOUT_MS);

const NEW_PASSWORD = "Another-horse-7-battery";

function linkIn(text: string, path: string): string {
  const match = text.match(new RegExp(`https://analytics\\.example\\.test${path}([A-Za-z0-9_-]+)`));
  if (!match) throw new Error(`no ${path} link in: ${text}`);
  return match[1]!;
}

describe("password reset by email", () => {
  it("mails a single-use link that sets the password and ends every session", async () => {
    const user = await registerAndSignIn(withMail.services);
    const anonymous = anonymousCaller(withMail.services).caller;
    expect(await anonymous.auth.passwordResetMode()).toEqual({ byEmail: true });
    expect(await anonymous.auth.requestPasswordReset({ email: user.email })).toEqual({ ok: true });
    const mail = sent.find((message) => message.to === user.email)!;
    expect(mail.from).toBe("Analytics <analytics@example.test>");
    const token = linkIn(mail.text, "/reset-password/");

    expect(await anonymous.auth.resetPasswordWithToken({ token, newPassword: NEW_PASSWORD })).toEqual({
      ok: true,
      email: user.email,
    });
    const stale = await callerWithToken(withMail.services, user.login.accessToken);
    expect((await failure(stale.caller.auth.me())).code).toBe("UNAUTHORIZED");
    expect((await anonymous.auth.login({ email: user.email, password: NEW_PASSWORD })).user.email).toBe(user.email);
    // Once only.
    const replay = await failure(anonymous.auth.resetPasswordWithToken({ token, newPassword: NEW_PASSWORD }));
    expect(replay.code).toBe("BAD_REQUEST");
  });

  it("refuses an expired link, and answers the same for an unknown email without mailing", async () => {
    const user = await registerAndSignIn(withMail.services);
    const anonymous = anonymousCaller(withMail.services).caller;
    await anonymous.auth.requestPasswordReset({ email: user.email });
    const token = linkIn(sent.findLast((message) => message.to === user.email)!.text, "/reset-password/");
    await withMail.services.db
      .update(passwordResetTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(passwordResetTokens.userId, user.login.user.id));
    expect((await failure(anonymous.auth.resetPasswordWithToken({ token, newPassword: NEW_PASSWORD }))).code).toBe(
      "BAD_REQUEST",
    );

    const before = sent.length;
    const nobody = testEmail("nobody");
    expect(await anonymous.auth.requestPasswordReset({ email: nobody })).toEqual({ ok: true });
    expect(sent.length).toBe(before);
  });

  it("is not offered without SMTP", async () => {
    const anonymous = anonymousCaller(withoutMail.services).caller;
    expect(await anonymous.auth.passwordResetMode()).toEqual({ byEmail: false });
    expect((await failure(anonymous.auth.requestPasswordReset({ email: testEmail() }))).code).toBe(
      "PRECONDITION_FAILED",
    );
  });
});

describe("invitation mail", () => {
  it("mails the invitation link when SMTP is configured", async () => {
    const owner = await registerAndSignIn(withMail.services);
    const [personal] = await owner.caller.teams.list();
    const email = testEmail("invitee");
    const created = await owner.caller.teams.invite({ teamId: personal!.id, email, role: "editor" });
    expect(created.mailed).toBe(true);
    expect(created.url).toBe(`https://analytics.example.test/invite/${created.token}`);
    const mail = sent.find((message) => message.to === email)!;
    expect(linkIn(mail.text, "/invite/")).toBe(created.token);
  });
});
