/**
 * Accounts and sessions: register, login, refresh, logout, me, wsTicket. The rules (token rotation and reuse, fail
 * closed revocation, lockout) live in server/auth/*; this router orchestrates them and sets cookies.
 */
import { TRPCError } from "@trpc/server";
import {
  LOGIN_FAILED_MESSAGE,
  type LoginResult,
  loginInputSchema,
  loginLockedMessage,
  REFRESH_COOKIE_PATH,
  registerInputSchema,
  type User,
  type WsTicket,
} from "../../../../shared/auth.ts";
import { AUTH_FAILURES } from "../../../auth/authenticate.ts";
import { clearAuthCookies, setAuthCookies } from "../../../auth/cookies.ts";
import { hashInvitationToken } from "../../../auth/invitation-tokens.ts";
import { beginLoginAttempt, recordFailedLogin, recordSuccessfulLogin } from "../../../auth/lockout.ts";
import { toPublicUser } from "../../../auth/public-user.ts";
import { guardSessionStore } from "../../../auth/session-store-guard.ts";
import { endSession, rotateSession, type SessionTokens, startSession } from "../../../auth/sessions.ts";
import { verifyToken } from "../../../auth/tokens.ts";
import { issueWsTicket } from "../../../auth/ws-ticket.ts";
import { recordAudit } from "../../../queries/audit/record-audit.ts";
import { acceptInvitation } from "../../../queries/teams/accept-invitation.ts";
import { findInvitationByTokenHash } from "../../../queries/teams/find-invitation-by-token-hash.ts";
import { createUser } from "../../../queries/users/create-user.ts";
import { findUserByEmail } from "../../../queries/users/find-user-by-email.ts";
import { findUserById, type UserRow } from "../../../queries/users/find-user-by-id.ts";
import {
  createTRPCRouter,
  type InnerContext,
  projectProcedure,
  protectedProcedure,
  publicProcedure,
  rateLimited,
} from "../init.ts";
import { passwordResetProcedures } from "./password-reset.ts";

const REFRESH_REUSED_MESSAGE =
  "This sign-in was already refreshed elsewhere, which can mean it was copied, so it has been ended for safety. Sign in again.";

function signedIn(ctx: InnerContext, user: UserRow, tokens: SessionTokens): LoginResult {
  setAuthCookies(ctx.resHeaders, ctx.services.config, tokens);
  return {
    user: toPublicUser(user),
    accessToken: tokens.access.token,
    expiresAt: tokens.access.expiresAt.toISOString(),
  };
}

function refused(ctx: InnerContext, message: string): TRPCError {
  clearAuthCookies(ctx.resHeaders, ctx.services.config);
  return new TRPCError({ code: "UNAUTHORIZED", message });
}

export const authRouter = createTRPCRouter({
  ...passwordResetProcedures,

  /** Creates an account (the first one becomes the administrator). Does not sign in: call login next. */
  register: publicProcedure
    .use(rateLimited({ name: "register", perMinute: 5 }))
    .input(registerInputSchema)
    .mutation(async ({ ctx, input }): Promise<User> => {
      const { config, db } = ctx.services;
      // A pending invitation for this very email opens registration for it (DISABLE_REGISTRATION notwithstanding).
      const invitation = input.invitationToken
        ? await findInvitationByTokenHash(db, hashInvitationToken(input.invitationToken))
        : null;
      const invited =
        invitation !== null &&
        !invitation.acceptedAt &&
        !invitation.revokedAt &&
        invitation.expiresAt.getTime() > Date.now() &&
        invitation.email.toLowerCase() === input.email.toLowerCase();
      const result = await createUser(db, {
        email: input.email,
        passwordHash: await ctx.passwords.hash(input.password),
        fullName: input.fullName || null,
        closeWhenUsersExist: config.DISABLE_REGISTRATION && !invited,
      });
      switch (result.status) {
        case "created":
          if (invited && input.invitationToken) {
            const accepted = await acceptInvitation(db, {
              tokenHash: hashInvitationToken(input.invitationToken),
              userId: result.user.id,
              email: result.user.email,
              now: new Date(),
            });
            if (accepted.status === "accepted")
              await recordAudit(db, {
                teamId: accepted.invitation.teamId,
                actorUserId: result.user.id,
                action: "member.joined",
                target: result.user.email,
                details: { invitationId: accepted.invitation.id, role: accepted.invitation.role, registered: true },
              });
          }
          return toPublicUser(result.user);
        case "email-taken":
          throw new TRPCError({ code: "CONFLICT", message: "An account with this email already exists." });
        case "registration-closed":
          throw new TRPCError({
            code: "FORBIDDEN",
            message: "Registration is closed. Ask the administrator for an account.",
          });
      }
    }),

  /**
   * Signs in: returns the user and an access token (for Bearer use) and sets the cookies. Unknown email, wrong
   * password or disabled account all answer the same UNAUTHORIZED message after comparable work; a paused sign-in
   * (lockout.ts) answers TOO_MANY_REQUESTS with Retry-After and the minutes left, for an unknown email alike.
   */
  login: publicProcedure
    .use(rateLimited({ name: "login", perMinute: 10 }))
    .input(loginInputSchema)
    .mutation(async ({ ctx, input }): Promise<LoginResult> => {
      const { db, kv, logger } = ctx.services;
      const attempt = await guardSessionStore(logger, "login", () => beginLoginAttempt(kv, input.email, ctx.clientIp));
      const user = await findUserByEmail(db, input.email);
      if (!attempt.allowed) {
        // As slow as a wrong password, and alike whether the account exists or not.
        await ctx.passwords.verifyDummy(input.password);
        const retryAfter = Math.max(1, Math.ceil(attempt.retryAfterMs / 1000));
        ctx.resHeaders.set("Retry-After", String(retryAfter));
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: loginLockedMessage(retryAfter) });
      }
      // An unknown email spends a dummy check and counts as a failure, so its lock comes and reads the same.
      const matches = user
        ? await ctx.passwords.verify(input.password, user.passwordHash)
        : await ctx.passwords.verifyDummy(input.password).then(() => false);
      if (!user || !matches || !user.isActive) {
        await guardSessionStore(logger, "login", () => recordFailedLogin(kv, attempt));
        throw new TRPCError({ code: "UNAUTHORIZED", message: LOGIN_FAILED_MESSAGE });
      }
      const tokens = await guardSessionStore(logger, "login", async () => {
        await recordSuccessfulLogin(kv, attempt);
        return startSession(ctx.services, user.id);
      });
      return signedIn(ctx, user, tokens);
    }),

  /**
   * Exchanges the refresh cookie for a new access and refresh token (both rotate). Must be called unbatched (see
   * shared/auth.ts). Within 30 s of its rotation a refresh token answers again with the same new pair (two tabs);
   * presented after that, or after its successor was used, it ends its whole session.
   */
  refresh: publicProcedure.mutation(async ({ ctx }): Promise<LoginResult> => {
    const { services } = ctx;
    if (!ctx.refreshToken) {
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message: ctx.isBatchCall
          ? `auth.refresh must be called on its own, not in a batch: the refresh cookie is only sent to ${REFRESH_COOKIE_PATH}.`
          : "There is no refresh token. Sign in again.",
      });
    }
    const claims = await verifyToken("refresh", ctx.refreshToken, services.secretKey);
    if (!claims) throw refused(ctx, AUTH_FAILURES.invalid);
    const user = await findUserById(services.db, claims.sub);
    // Fail closed: without the store nobody can tell whether this token was revoked. Cookies are kept for a retry.
    const result = await guardSessionStore(
      services.logger,
      "refresh",
      async () => {
        if (!user?.isActive) {
          await endSession(services, claims.sid);
          return null;
        }
        return rotateSession(services, claims);
      },
      "UNAUTHORIZED",
    );
    if (!user || !result || result.status === "ended") throw refused(ctx, AUTH_FAILURES.ended);
    if (result.status === "reused") {
      services.logger.warn("refresh token reused; session ended", { userId: claims.sub, sessionId: claims.sid });
      throw refused(ctx, REFRESH_REUSED_MESSAGE);
    }
    return signedIn(ctx, user, result.tokens);
  }),

  /**
   * Ends the caller's session (its access token stops working at once) and clears the cookies. Open to anyone and
   * idempotent: a signed-out browser can always clear its cookies, and an expired access token still names the
   * session to end.
   */
  logout: publicProcedure.mutation(async ({ ctx }): Promise<{ ok: true }> => {
    const { services } = ctx;
    clearAuthCookies(ctx.resHeaders, services.config);
    const sessionId =
      ctx.session?.id ??
      (ctx.accessToken
        ? (await verifyToken("access", ctx.accessToken, services.secretKey, { allowExpired: true }))?.sid
        : undefined);
    if (sessionId) await guardSessionStore(services.logger, "logout", () => endSession(services, sessionId));
    return { ok: true };
  }),

  /** The signed-in user. */
  me: protectedProcedure.query(({ ctx }): User => toPublicUser(ctx.user)),

  /** A single-use, 30-second ticket to open the live-feed WebSocket of one of the caller's projects. */
  wsTicket: projectProcedure.mutation(async ({ ctx }): Promise<WsTicket> => {
    const { ticket, expiresAt } = await guardSessionStore(ctx.services.logger, "wsTicket", () =>
      issueWsTicket(ctx.services, { projectId: ctx.project.id, userId: ctx.user.id, sessionId: ctx.session.id }),
    );
    return { ticket, expiresAt: expiresAt.toISOString() };
  }),
});
