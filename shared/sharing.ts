/**
 * The sharing contract (issue 19): share links (`shares.*`), read keys (`apiKeys.*`) and how a share page proves it
 * was opened. Depended on by the server's shares and apiKeys routers, the Stats API (server/http/routes/stats-api.ts),
 * the share page and project settings of the dashboard, and API users: add, never rename.
 *
 * - A share link is `/share/<token>`; the token (`SHARE_TOKEN_BYTES` random bytes, base64url) is shown once, when
 *   the share is made. The page exchanges it (and the password, if the share has one) through `shares.open` for a
 *   share session, sent back on every call in the `SHARE_SESSION_HEADER` header. A share session reads only its own
 *   project, and only the dashboard's numbers: never anything that names a person.
 * - A read key is `read_` + base64url of 32 random bytes, shown once; its scopes say what it may do.
 */
import { z } from "zod";
import { READ_KEY_SCOPES, type ReadKeyScope, SHARE_PASSWORD_MAX, SHARE_PASSWORD_MIN } from "./sharing-constants.ts";

export {
  READ_KEY_PREFIX,
  READ_KEY_SCOPES,
  type ReadKeyScope,
  SHARE_PATH_PREFIX,
  SHARE_SESSION_HEADER,
} from "./sharing-constants.ts";

const projectIdField = { projectId: z.uuid({ message: "projectId must be a UUID" }) };

export const createShareInputSchema = z.object({
  ...projectIdField,
  expiresAt: z.iso
    .datetime({ offset: true, message: "expiresAt must be an ISO 8601 date-time" })
    .refine((value) => Date.parse(value) > Date.now(), { message: "expiresAt must be in the future" })
    .optional(),
  password: z
    .string()
    .min(SHARE_PASSWORD_MIN, { message: `A share password has at least ${SHARE_PASSWORD_MIN} characters.` })
    .max(SHARE_PASSWORD_MAX, { message: `A share password has at most ${SHARE_PASSWORD_MAX} characters.` })
    .optional(),
});
export type CreateShareInput = z.infer<typeof createShareInputSchema>;

export const listSharesInputSchema = z.object(projectIdField);
export const revokeShareInputSchema = z.object({ ...projectIdField, id: z.uuid({ message: "id must be a UUID" }) });

export const openShareInputSchema = z.object({
  token: z.string().min(1, { message: "token is required" }).max(200, { message: "token is too long" }),
  password: z.string().max(SHARE_PASSWORD_MAX, { message: "password is too long" }).optional(),
});

/** What shares.create answers: the token and url exist only in this answer. */
export interface CreatedShare {
  id: string;
  token: string;
  /** `/share/<token>`, relative to the dashboard's origin. */
  url: string;
}

export interface ShareSummary {
  id: string;
  hasPassword: boolean;
  expiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** shares.open: the share session, or that a password is needed (or was wrong). */
export type OpenShareResult =
  | { status: "open"; session: string; projectId: string; projectName: string }
  | { status: "password_required" }
  | { status: "wrong_password" };

/**
 * Whose read key: a project's (`{ projectId }`) or a team's (`{ teamId }`, reading every project of the team).
 * Exactly one of the two; the refusal names projectId.
 */
const readKeyOwnerFields = {
  projectId: z.uuid({ message: "projectId must be a UUID" }).optional(),
  teamId: z.uuid({ message: "teamId must be a UUID" }).optional(),
};
const ONE_OWNER = {
  message: "Give exactly one of projectId (a project's key) or teamId (a team's key).",
  path: ["projectId"],
};
const hasOneOwner = (input: { projectId?: string; teamId?: string }) =>
  (input.projectId === undefined) !== (input.teamId === undefined);

export const readKeyOwnerSchema = z.object(readKeyOwnerFields).refine(hasOneOwner, ONE_OWNER);
export type ReadKeyOwnerInput = { projectId: string; teamId?: undefined } | { teamId: string; projectId?: undefined };

export const createReadKeyInputSchema = z
  .object({
    ...readKeyOwnerFields,
    name: z
      .string()
      .trim()
      .min(1, { message: "Name the key." })
      .max(100, { message: "A key name is at most 100 characters." }),
    scopes: z
      .array(z.enum(READ_KEY_SCOPES, { error: `A scope is one of ${READ_KEY_SCOPES.join(", ")}.` }))
      .min(1, { message: "Give the key at least one scope." })
      .transform((scopes) => [...new Set(scopes)]),
  })
  .refine(hasOneOwner, ONE_OWNER);
export type CreateReadKeyInput = ReadKeyOwnerInput & { name: string; scopes: ReadKeyScope[] };

export const listReadKeysInputSchema = readKeyOwnerSchema;
export const revokeReadKeyInputSchema = z
  .object({ ...readKeyOwnerFields, id: z.uuid({ message: "id must be a UUID" }) })
  .refine(hasOneOwner, ONE_OWNER);

export interface CreatedReadKey {
  id: string;
  /** The key itself: shown once. */
  key: string;
}

export interface ReadKeySummary {
  id: string;
  name: string;
  keyPrefix: string;
  scopes: ReadKeyScope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
