/**
 * The accounts contract: inputs of the `auth.*` tRPC procedures, the user object every procedure returns, and the
 * password rule. Depended on by the server's auth router (validation), the dashboard (forms show the password rule
 * as it is typed, and its tRPC links follow the refresh rule below) and API users. Procedure and field names are a
 * contract: add, never rename.
 *
 * Cookies set by `auth.login` and `auth.refresh`:
 *   - `access_token`  HttpOnly, Path=/, lives ACCESS_TOKEN_EXPIRE_MINUTES (30).
 *   - `refresh_token` HttpOnly, Path=/api/trpc/auth.refresh, lives REFRESH_TOKEN_EXPIRE_DAYS (7).
 *   - `logged_in`     readable by scripts ("1", no secret), Path=/, lives as long as the refresh token: the
 *                     dashboard shows the signed-in UI while it is present.
 *
 * The refresh rule for clients: browsers send `refresh_token` only to the exact path `/api/trpc/auth.refresh`. A
 * batched tRPC URL such as `/api/trpc/auth.me,auth.refresh` does not match it, so the cookie would not be sent and the
 * refresh would fail. Always send `auth.refresh` on its own, unbatched: route it to `httpLink` with
 * `splitLink({ condition: (op) => mustCallUnbatched(op.path), true: httpLink(...), false: httpBatchLink(...) })`.
 * The server answers a batched refresh without the cookie with UNAUTHORIZED and a message naming this rule.
 * Also keep refreshes single-flight, across tabs too (one in progress at a time, shared by every request that saw a
 * 401; the dashboard takes a Web Lock): for REFRESH_REUSE_GRACE_SECONDS after a rotation the old refresh token
 * answers with the same new pair, so two refreshes that cross still both succeed, but a refresh token presented after
 * that window, or after its successor was used, is treated as stolen and ends the whole session.
 */
import { z } from "zod";

export const AUTH_COOKIES = {
  accessToken: "access_token",
  refreshToken: "refresh_token",
  loggedIn: "logged_in",
} as const;

/** The only path the browser sends the refresh cookie to. */
export const REFRESH_COOKIE_PATH = "/api/trpc/auth.refresh";

/** How long after a rotation the previous refresh token still answers with the same new pair. */
export const REFRESH_REUSE_GRACE_SECONDS = 30;

/** Procedures that must be sent unbatched (their cookie is path-scoped to their own URL). */
export const UNBATCHED_PROCEDURES: readonly string[] = ["auth.refresh"];

/** True for the procedures a tRPC client must route to a non-batching link. */
export function mustCallUnbatched(path: string): boolean {
  return UNBATCHED_PROCEDURES.includes(path);
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** The password rule, one line per requirement, so a form can tick them off as the user types. */
export const PASSWORD_RULES = [
  {
    id: "length",
    label: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
    test: (p: string) => p.length >= PASSWORD_MIN_LENGTH && p.length <= PASSWORD_MAX_LENGTH,
  },
  { id: "upper", label: "an uppercase letter", test: (p: string) => /\p{Lu}/u.test(p) },
  { id: "lower", label: "a lowercase letter", test: (p: string) => /\p{Ll}/u.test(p) },
  { id: "digit", label: "a digit", test: (p: string) => /\p{Nd}/u.test(p) },
  {
    id: "symbol",
    label: "a symbol (anything that is not a letter, digit or space)",
    test: (p: string) => /[^\p{L}\p{Nd}\s]/u.test(p),
  },
] as const;

export type PasswordRuleId = (typeof PASSWORD_RULES)[number]["id"];

/** Which rules a candidate password meets, in display order. */
export function checkPassword(password: string): Array<{ id: PasswordRuleId; label: string; ok: boolean }> {
  return PASSWORD_RULES.map((rule) => ({ id: rule.id, label: rule.label, ok: rule.test(password) }));
}

/** A new password: the whole rule, one zod issue per unmet requirement. */
export const passwordSchema = z.string().superRefine((password, ctx) => {
  for (const rule of PASSWORD_RULES) {
    if (!rule.test(password))
      ctx.addIssue({ code: "custom", message: `Password needs ${rule.label}.`, params: { rule: rule.id } });
  }
});

/** An email as typed (trimmed). Stored as typed; uniqueness and sign-in compare it case-insensitively. */
export const emailSchema = z
  .string()
  .trim()
  .max(254, { message: "Email is too long." })
  .pipe(z.email({ message: "Enter a valid email address." }));

export const fullNameSchema = z.string().trim().max(200, { message: "Name is at most 200 characters." });

/**
 * `invitationToken`: the token of an invitation link (teams.invite) made for this email. It lets that email register
 * even with DISABLE_REGISTRATION=true, and the new account joins the team at once.
 */
export const registerInputSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  fullName: fullNameSchema.optional(),
  invitationToken: z.string().min(1).max(200, { message: "invitationToken is too long" }).optional(),
});
export type RegisterInput = z.infer<typeof registerInputSchema>;

export const loginInputSchema = z.object({
  email: emailSchema,
  // Not the full rule: sign-in only needs a bounded string (the rule is enforced where passwords are set).
  password: z.string().min(1, { message: "Enter your password." }).max(PASSWORD_MAX_LENGTH),
});
export type LoginInput = z.infer<typeof loginInputSchema>;

export const wsTicketInputSchema = z.object({ projectId: z.uuid({ message: "projectId must be a UUID" }) });
export type WsTicketInput = z.infer<typeof wsTicketInputSchema>;

/** A user as every procedure returns it. Never carries a password hash. `createdAt` is an ISO 8601 string. */
export interface User {
  id: string;
  email: string;
  fullName: string | null;
  isActive: boolean;
  isSuperuser: boolean;
  createdAt: string;
}

/** What `auth.login` and `auth.refresh` return (the same tokens are also set as cookies). */
export interface LoginResult {
  user: User;
  /** For API clients: send as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** When the access token expires (ISO 8601). */
  expiresAt: string;
}

/** What `auth.wsTicket` returns: a single-use ticket for the live-feed WebSocket, valid for 30 s. */
export interface WsTicket {
  ticket: string;
  expiresAt: string;
}

/** The one message for an unknown email, a wrong password and a disabled account (nothing to probe). */
export const LOGIN_FAILED_MESSAGE =
  "Incorrect email or password. After 5 failed attempts sign-in is paused for 15 minutes.";

/**
 * What a paused sign-in reads (TOO_MANY_REQUESTS, with Retry-After): after 5 failures from one IP, or 50 on the
 * account in an hour. The same for an email with no account, so it reveals nothing.
 */
export function loginLockedMessage(retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many attempts, try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}
