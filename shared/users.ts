/**
 * The users contract: inputs of the `users.*` tRPC procedures. Depended on by the server's users router, the
 * dashboard (account and administration pages) and API users. The user object itself is `User` in ./auth.ts.
 * Names are a contract: add, never rename.
 */
import { z } from "zod";
import { emailSchema, fullNameSchema, PASSWORD_MAX_LENGTH, passwordSchema, type User } from "./auth.ts";

const userId = z.uuid({ message: "id must be a UUID" });

export const listUsersInputSchema = z
  .object({
    limit: z.number().int().min(1).max(100).default(50),
    offset: z.number().int().min(0).max(1_000_000).default(0),
  })
  .default({ limit: 50, offset: 0 });
export type ListUsersInput = z.input<typeof listUsersInputSchema>;

export interface UserList {
  items: User[];
  total: number;
}

export const userIdInputSchema = z.object({ id: userId });
export type UserIdInput = z.infer<typeof userIdInputSchema>;

/**
 * `fullName: null` or `""` clears the name. `isActive` is for the administrator only (a disabled account cannot sign
 * in and its sessions end at once); nobody can disable themselves.
 */
export const updateUserInputSchema = z.object({
  id: userId,
  fullName: fullNameSchema.nullish(),
  email: emailSchema.optional(),
  isActive: z.boolean().optional(),
});
export type UpdateUserInput = z.infer<typeof updateUserInputSchema>;

export const changePasswordInputSchema = z.object({
  currentPassword: z.string().min(1, { message: "Enter your current password." }).max(PASSWORD_MAX_LENGTH),
  newPassword: passwordSchema,
});
export type ChangePasswordInput = z.infer<typeof changePasswordInputSchema>;

export const resetPasswordInputSchema = z.object({ id: userId, newPassword: passwordSchema });
export type ResetPasswordInput = z.infer<typeof resetPasswordInputSchema>;
