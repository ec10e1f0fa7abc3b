/**
 * Share links of a project (shared/sharing.ts): create, list and revoke need the admin role; `open` is public, the
 * share page's way in. `open` answers the same for an unknown, expired and revoked token (NOT_FOUND), counts every
 * password attempt against SHARE_PASSWORD_ATTEMPTS_PER_MINUTE per client IP before hashing anything, and hashes the
 * password with the account hasher (argon2id). Tokens are never logged: only share ids are.
 */
import { TRPCError } from "@trpc/server";
import {
  type CreatedShare,
  createShareInputSchema,
  listSharesInputSchema,
  type OpenShareResult,
  openShareInputSchema,
  revokeShareInputSchema,
  SHARE_PATH_PREFIX,
  type ShareSummary,
} from "../../../../shared/sharing.ts";
import { generateShareToken, hashSecret, signShareSession } from "../../../auth/share-secrets.ts";
import { findProjectById } from "../../../queries/projects/find-project-by-id.ts";
import { createShare } from "../../../queries/sharing/create-share.ts";
import { findLiveShare } from "../../../queries/sharing/find-live-share.ts";
import { listShares } from "../../../queries/sharing/list-shares.ts";
import { revokeShare } from "../../../queries/sharing/revoke-share.ts";
import { createTRPCRouter, projectRoleProcedure, publicProcedure } from "../init.ts";
import { consumeRateLimit } from "../rate-limit.ts";
import { auditSharing } from "../sharing-audit.ts";

/** Password attempts on share links per client IP and minute (each costs an argon2id hash, ~120 ms). */
export const SHARE_PASSWORD_ATTEMPTS_PER_MINUTE = 10;

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "This share link does not exist or has ended." });

export const sharesRouter = createTRPCRouter({
  create: projectRoleProcedure("admin")
    .input(createShareInputSchema)
    .mutation(async ({ ctx, input }): Promise<CreatedShare> => {
      const { token, tokenHash } = generateShareToken();
      const passwordHash = input.password === undefined ? null : await ctx.passwords.hash(input.password);
      const share = await createShare(ctx.services.db, {
        projectId: input.projectId,
        tokenHash,
        passwordHash,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
        createdBy: ctx.user.id,
      });
      await auditSharing(ctx, {
        action: "share.created",
        targetId: share.id,
      });
      return { id: share.id, token, url: `${SHARE_PATH_PREFIX}${token}` };
    }),

  list: projectRoleProcedure("admin")
    .input(listSharesInputSchema)
    .query(
      async ({ ctx, input }): Promise<ShareSummary[]> =>
        (await listShares(ctx.services.db, input.projectId)).map((share) => ({
          id: share.id,
          hasPassword: share.passwordHash !== null,
          expiresAt: share.expiresAt?.toISOString() ?? null,
          createdAt: share.createdAt.toISOString(),
          revokedAt: share.revokedAt?.toISOString() ?? null,
        })),
    ),

  revoke: projectRoleProcedure("admin")
    .input(revokeShareInputSchema)
    .mutation(async ({ ctx, input }): Promise<{ revoked: true }> => {
      if (!(await revokeShare(ctx.services.db, input))) {
        throw new TRPCError({ code: "NOT_FOUND", message: "No such live share on this project." });
      }
      await auditSharing(ctx, {
        action: "share.revoked",
        targetId: input.id,
      });
      return { revoked: true };
    }),

  open: publicProcedure.input(openShareInputSchema).mutation(async ({ ctx, input }): Promise<OpenShareResult> => {
    const share = await findLiveShare(ctx.services.db, { tokenHash: hashSecret(input.token) });
    if (!share) throw notFound();
    if (share.passwordHash !== null) {
      if (input.password === undefined) return { status: "password_required" };
      await consumeRateLimit(ctx, { name: "share-password", perMinute: SHARE_PASSWORD_ATTEMPTS_PER_MINUTE });
      if (!(await ctx.passwords.verify(input.password, share.passwordHash))) return { status: "wrong_password" };
    }
    const project = await findProjectById(ctx.services.db, share.projectId);
    if (!project) throw notFound();
    return {
      status: "open",
      session: signShareSession(ctx.services.secretKey, share.id),
      projectId: project.id,
      projectName: project.name,
    };
  }),
});
