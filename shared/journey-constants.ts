/**
 * The constants of analytics.retention and analytics.paths, declared once for the server's schemas
 * (shared/retention.ts, shared/paths.ts) and the dashboard's pages. Zero dependencies: the dashboard imports this
 * without pulling in zod. Names and values are a contract: add, never rename.
 */

export const RETENTION_INTERVALS = ["day", "week"] as const;
export type RetentionInterval = (typeof RETENTION_INTERVALS)[number];
export const MIN_RETENTION_PERIODS = 1;
export const MAX_RETENTION_PERIODS = 30;
export const DEFAULT_RETENTION_PERIODS = 8;
export const DEFAULT_RETENTION_INTERVAL: RetentionInterval = "week";
/** Longest event name a retention start or return event may name. */
export const MAX_EVENT_NAME_LENGTH = 200;

export const PATH_KINDS = ["page", "event"] as const;
export type PathKind = (typeof PATH_KINDS)[number];
export const PATH_DIRECTIONS = ["after", "before"] as const;
export type PathDirection = (typeof PATH_DIRECTIONS)[number];
export const MIN_PATH_STEPS = 1;
export const MAX_PATH_STEPS = 5;
export const DEFAULT_PATH_STEPS = 3;
export const MIN_PATH_LIMIT = 1;
export const MAX_PATH_LIMIT = 20;
export const DEFAULT_PATH_LIMIT = 8;
export const MAX_PATH_VALUE_LENGTH = 1000;
/** The node of the sessions grouped beyond limitPerStep, and of the sessions that stopped. */
export const PATH_OTHER = "$other";
export const PATH_END = "(end)";
