/**
 * Users: the administrator (superuser) lists, resets and deletes accounts; everyone reads and edits their own
 * profile and changes their own password. Asking for another user's id without being the administrator answers
 * NOT_FOUND, exactly like a missing id, so accounts cannot be probed.
 */
import { TRPCError } from "@trpc/server";
import type { User } from "../../../../shared/auth.ts";
import {
  changePasswordInputSchema,
  listUsersInputSchema,
  resetPasswordInputSchema,
  type UserList,
  updateUserInputSchema,
  userIdInputSchema,
} from "../../../../shared/users.ts";
import { announceApiKeyChange } from "../../../auth/api-keys.ts";
import { clearLoginAttempts } from "../../../auth/lockout.ts";
import { toPublicUser } from "../../../auth/public-user.ts";
import { guardSessionStore } from "../../../auth/session-store-guard.ts";
import { endUserSessions } from "../../../auth/sessions.ts";
import { findDeletionBlockingTeams } from "../../../queries/teams/find-deletion-blocking-teams.ts";
import { deleteUser } from "../../../queries/users/delete-user.ts";
import { findUserById } from "../../../queries/users/find-user-by-id.ts";
import { listUsers } from "../../../queries/users/list-users.ts";
import { setUserPassword } from "../../../queries/users/set-user-password.ts";
import { updateUser } from "../../../queries/users/update-user.ts";
import { createTRPCRouter, type InnerContext, protectedProcedure, rateLimited, superuserProcedure } from "../init.ts";

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "User not found." });

/** Self or the administrator; anyone else gets NOT_FOUND, the same answer as for a missing id. */
function assertMayManage(ctx: { user: { id: string; isSuperuser: boolean } }, id: string): void {
  if (ctx.user.id !== id && !ctx.user.isSuperuser) throw notFound();
}

/**
 * Ends a user's sessions after a change the database already enforces on every request (account disabled or
 * deleted): if the key store is down, tokens are refused anyway, so an outage is logged rather than failing the call.
 */
async function endSessionsBestEffort(ctx: InnerContext, userId: string, reason: string): Promise<void> {
  try {
    await endUserSessions(ctx.services, userId);
  } catch (error) {
    ctx.services.logger.warn("could not mark sessions ended; the database check still refuses them", {
      error,
      userId,
      reason,
    });
  }
}

export const usersRouter = createTRPCRouter({
  /** Every account, a page at a time (administrator only). */
  list: superuserProcedure.input(listUsersInputSchema).query(async ({ ctx, input }): Promise<UserList> => {
    const { rows, total } = await listUsers(ctx.services.db, input);
    return { items: rows.map(toPublicUser), total };
  }),

  /** One account: one's own, or any for the administrator. */
  get: protectedProcedure.input(userIdInputSchema).query(async ({ ctx, input }): Promise<User> => {
    assertMayManage(ctx, input.id);
    const row = await findUserById(ctx.services.db, input.id);
    if (!row) throw notFound();
    return toPublicUser(row);
  }),

  /**
   * Edits a profile (one's own, or any for the administrator). Only the administrator may change `isActive`, never
   * their own; disabling an account ends its sessions at once.
   */
  update: protectedProcedure.input(updateUserInputSchema).mutation(async ({ ctx, input }): Promise<User> => {
    assertMayManage(ctx, input.id);
    if (input.isActive !== undefined) {
      if (!ctx.user.isSuperuser)
        throw new TRPCError({ code: "FORBIDDEN", message: "Only the administrator can enable or disable accounts." });
      if (input.id === ctx.user.id)
        throw new TRPCError({ code: "BAD_REQUEST", message: "You cannot disable your own account." });
    }
    const result = await updateUser(ctx.services.db, input.id, {
      ...(input.fullName !== undefined ? { fullName: input.fullName || null } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.isActive !== undefined ? { isActive: input.isActive } : {}),
    });
    if (result.status === "not-found") throw notFound();
    if (result.status === "email-taken")
      throw new TRPCError({ code: "CONFLICT", message: "An account with this email already exists." });
    if (input.isActive === false) await endSessionsBestEffort(ctx, input.id, "disabled");
    return toPublicUser(result.user);
  }),

  /** Changes one's own password; every other session of the account ends, this one stays signed in. */
  changePassword: protectedProcedure
    .use(rateLimited({ name: "change-password", perMinute: 10 }))
    .input(changePasswordInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ ok: true }> => {
      const { services } = ctx;
      const row = await findUserById(services.db, ctx.user.id);
      if (!row) throw notFound();
      if (!(await ctx.passwords.verify(input.currentPassword, row.passwordHash))) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "The current password is not correct." });
      }
      const passwordHash = await ctx.passwords.hash(input.newPassword);
      const endOthers = () => endUserSessions(services, row.id, { keepSessionId: ctx.session.id });
      // Before the change (nothing changes if the store is down) and after it (a sign-in with the old password in
      // between is ended too).
      await guardSessionStore(services.logger, "changePassword", endOthers);
      await setUserPassword(services.db, { id: row.id, passwordHash });
      await guardSessionStore(services.logger, "changePassword", endOthers);
      return { ok: true };
    }),

  /** Sets another account's password (administrator only); all of that account's sessions end and its lockout clears. */
  resetPassword: superuserProcedure
    .input(resetPasswordInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ ok: true }> => {
      const { services } = ctx;
      const passwordHash = await ctx.passwords.hash(input.newPassword);
      const row = await setUserPassword(services.db, { id: input.id, passwordHash });
      if (!row) throw notFound();
      await guardSessionStore(services.logger, "resetPassword", async () => {
        await endUserSessions(services, row.id, input.id === ctx.user.id ? { keepSessionId: ctx.session.id } : {});
        await clearLoginAttempts(services.kv, row.email);
      });
      return { ok: true };
    }),

  /**
   * Deletes an account (administrator only, never themselves). Refused (CONFLICT, naming the teams) while the account
   * is the only owner of a team with other members: ownership is transferred first. The teams it is alone in go with
   * their projects and data; in the others only its membership ends.
   */
  delete: superuserProcedure.input(userIdInputSchema).mutation(async ({ ctx, input }): Promise<{ id: string }> => {
    if (input.id === ctx.user.id)
      throw new TRPCError({ code: "BAD_REQUEST", message: "You cannot delete your own account." });
    const { services } = ctx;
    const blocking = await findDeletionBlockingTeams(services.db, input.id);
    if (blocking.length > 0) {
      throw new TRPCError({
        code: "CONFLICT",
        message: `This account is the only owner of ${blocking.map((team) => `"${team.name}"`).join(", ")}, which have other members: transfer ownership first.`,
      });
    }
    const result = await deleteUser(services.db, input.id);
    if (result.status === "not-found") throw notFound();
    await endSessionsBestEffort(ctx, input.id, "deleted");
    for (const project of result.deletedProjects) {
      await announceApiKeyChange(services, {
        projectId: project.id,
        oldApiKeyHash: project.apiKeyHash,
        reason: "deleted",
      });
    }
    return { id: input.id };
  }),
});
