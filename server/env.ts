/**
 * The one place that reads the environment. Everything else receives a `Config`.
 *
 * `loadConfig()` parses `process.env` once and throws a readable list of every problem; tests call
 * `parseConfig({...})` with their own values. Embedded mode (no DATABASE_URL) may leave SECRET_KEY empty: the
 * boot code then generates one into the data folder (see `server/secret-key.ts`).
 */
import { z } from "zod";

const booleanFromString = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", ""])
    .default(fallback ? "true" : "false")
    .transform((value) => (value === "" ? fallback : value === "true" || value === "1" || value === "yes"));

const intInRange = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || protocols.some((p) => value.startsWith(p)), {
      message: `must start with ${protocols.join(" or ")}`,
    });

const originList = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((origin) => origin.trim().replace(/\/+$/, ""))
      .filter(Boolean),
  )
  .refine((origins) => origins.every((origin) => origin !== "*" && URL.canParse(origin)), {
    message: "must be a comma-separated list of origins such as https://analytics.example.com (no *)",
  });

export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: intInRange(8000, 0, 65535),
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_URL: optionalUrl(["http://", "https://"]),
  DATABASE_URL: optionalUrl(["postgres://", "postgresql://"]),
  REDIS_URL: optionalUrl(["redis://", "rediss://"]),
  REDIS_KEY_PREFIX: z.string().default(""),
  DATA_DIR: z.string().default("./data"),
  SECRET_KEY: z.string().default(""),
  CORS_ORIGINS: originList,
  COOKIE_SECURE: booleanFromString(true),
  COOKIE_SAMESITE: z
    .enum(["lax", "strict", "none", "Lax", "Strict", "None"])
    .default("lax")
    .transform((value) => (value[0]!.toUpperCase() + value.slice(1).toLowerCase()) as "Lax" | "Strict" | "None"),
  ACCESS_TOKEN_EXPIRE_MINUTES: intInRange(30, 1, 24 * 60),
  REFRESH_TOKEN_EXPIRE_DAYS: intInRange(7, 1, 365),
  RATE_LIMIT_PER_MINUTE: intInRange(60, 1, 1_000_000),
  /** Stats API calls per read key and minute. */
  STATS_RATE_LIMIT_PER_MINUTE: intInRange(600, 1, 1_000_000),
  INGEST_RATE_LIMIT_PER_MINUTE: intInRange(600_000, 1, 100_000_000),
  DB_POOL_SIZE: intInRange(10, 1, 200),
  DISABLE_REGISTRATION: booleanFromString(false),
  TRUST_PROXY: booleanFromString(false),
  /** A MaxMind-format (mmdb) country or city database; empty: the CC0 one shipped in an npm package. */
  GEOIP_DATABASE: z.string().trim().default(""),
  STREAM_MAX_BACKLOG: intInRange(1_000_000, 1_000, 100_000_000),
  WORKER_BATCH_SIZE: intInRange(200, 1, 10_000),
  REQUIRE_DURABLE_REDIS: booleanFromString(false),
  METRICS_TOKEN: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || value.length >= 16, { message: "must be at least 16 characters" }),
  // Bound on each dashboard analytics statement (PostgreSQL only); beyond it the call answers TIMEOUT (HTTP 408).
  ANALYTICS_STATEMENT_TIMEOUT_MS: intInRange(15_000, 100, 600_000),
  ANALYTICS_ENGINE_CACHE_MB: intInRange(512, 16, 1_048_576),
  /**
   * Outgoing mail (invitation links, password reset links), e.g. smtps://user:pass@smtp.example.com:465. Empty: no
   * mail; invitation links are only shown to whoever made them and passwords are reset by the administrator.
   */
  SMTP_URL: optionalUrl(["smtp://", "smtps://"]),
  /** The From of those mails, e.g. "Analytics <analytics@example.com>"; required with SMTP_URL. */
  MAIL_FROM: z.string().trim().default(""),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses a set of environment variables into a Config, throwing a ConfigError that lists every problem. */
export function parseConfig(source: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(source);
  // Checks across fields run on the raw values too, so one run reports every problem, not the first layer of them.
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`)),
    ...crossFieldProblems(source),
  ];
  if (problems.length || !result.success) throw new ConfigError(problems);
  return result.data;
}

function crossFieldProblems(source: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const secretKey = source.SECRET_KEY ?? "";
  if (source.DATABASE_URL?.trim() && secretKey.length < 32) {
    problems.push("SECRET_KEY: is required and must be at least 32 characters when DATABASE_URL is set");
  } else if (secretKey && secretKey.length < 32) {
    problems.push("SECRET_KEY: must be at least 32 characters");
  }
  if (source.COOKIE_SAMESITE?.toLowerCase() === "none" && /^(false|0|no)$/i.test(source.COOKIE_SECURE ?? "")) {
    problems.push("COOKIE_SAMESITE: None requires COOKIE_SECURE=true");
  }
  if (source.SMTP_URL?.trim()) {
    // Mailed links must be absolute, and a mail needs a sender.
    if (!source.PUBLIC_URL?.trim()) problems.push("PUBLIC_URL: is required when SMTP_URL is set (mailed links)");
    if (!source.MAIL_FROM?.trim()) problems.push("MAIL_FROM: is required when SMTP_URL is set");
  }
  return problems;
}

/** Reads the process environment. The only caller of process.env in the code base. */
export function loadConfig(): Config {
  return parseConfig(process.env);
}

/** True when the process runs on embedded PGlite with in-process stream, pub/sub and keys. */
export function isEmbedded(config: Config): boolean {
  return !config.DATABASE_URL && !config.REDIS_URL;
}

/**
 * The variables the tests' own settings come from (where the shared PostgreSQL and Redis are, where Chromium is,
 * whether this is CI), raw: server/test-support/test-environment.ts gives them meaning and defaults.
 */
export function readTestEnvironment(): Partial<
  Record<"TEST_DATABASE_URL" | "TEST_REDIS_URL" | "CHROMIUM_PATH" | "CI", string>
> {
  const { TEST_DATABASE_URL, TEST_REDIS_URL, CHROMIUM_PATH, CI } = process.env;
  return { TEST_DATABASE_URL, TEST_REDIS_URL, CHROMIUM_PATH, CI };
}

/** A copy of this process's environment, for tests that start the product as a child process with a few changes. */
export function inheritedEnvironment(): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) copy[key] = value;
  return copy;
}
