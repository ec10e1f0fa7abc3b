/**
 * The sharing contract's constants (shared/sharing.ts), free of dependencies so the dashboard's bundle can import
 * them without zod.
 */
export const READ_KEY_PREFIX = "read_";
/** The header a share page sends its share session in. */
export const SHARE_SESSION_HEADER = "x-share-session";
export const SHARE_PATH_PREFIX = "/share/";

export const READ_KEY_SCOPES = ["stats:read", "events:export"] as const;
export type ReadKeyScope = (typeof READ_KEY_SCOPES)[number];

/** A share's password: long enough to mean something, short enough to bound the hashing work. */
export const SHARE_PASSWORD_MIN = 8;
export const SHARE_PASSWORD_MAX = 128;
