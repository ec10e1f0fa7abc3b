/**
 * The URL state of the retention and paths pages, beside the dashboard's own (period, zone and filters:
 * dashboard-state.ts), so a link shows the same analysis. Anything missing or invalid falls back to the default,
 * within the limits the server checks (shared/journey-constants.ts).
 */
import {
  DEFAULT_PATH_LIMIT,
  DEFAULT_PATH_STEPS,
  DEFAULT_RETENTION_INTERVAL,
  DEFAULT_RETENTION_PERIODS,
  MAX_EVENT_NAME_LENGTH,
  MAX_PATH_LIMIT,
  MAX_PATH_STEPS,
  MAX_PATH_VALUE_LENGTH,
  MAX_RETENTION_PERIODS,
  MIN_PATH_LIMIT,
  MIN_PATH_STEPS,
  MIN_RETENTION_PERIODS,
  PATH_DIRECTIONS,
  PATH_KINDS,
  type PathDirection,
  type PathKind,
  RETENTION_INTERVALS,
  type RetentionInterval,
} from "../../../shared/journey-constants.ts";
import type { SearchRecord } from "./dashboard-state.ts";

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function wholeNumber(raw: string | undefined, min: number, max: number, fallback: number): number {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

function text(raw: string | undefined, max: number): string | undefined {
  return raw && raw.length <= max && !raw.includes("\u0000") ? raw : undefined;
}

function oneOf<T extends string>(options: readonly T[], raw: string | undefined, fallback: T): T {
  return options.find((option) => option === raw) ?? fallback;
}

export type RetentionState = {
  interval: RetentionInterval;
  periods: number;
  startEvent: string | undefined;
  returnEvent: string | undefined;
};

export function readRetentionState(search: SearchRecord): RetentionState {
  return {
    interval: oneOf(RETENTION_INTERVALS, first(search.interval), DEFAULT_RETENTION_INTERVAL),
    periods: wholeNumber(
      first(search.periods),
      MIN_RETENTION_PERIODS,
      MAX_RETENTION_PERIODS,
      DEFAULT_RETENTION_PERIODS,
    ),
    startEvent: text(first(search.start), MAX_EVENT_NAME_LENGTH),
    returnEvent: text(first(search.return), MAX_EVENT_NAME_LENGTH),
  };
}

export type PathsState = {
  kind: PathKind;
  value: string | undefined;
  direction: PathDirection;
  steps: number;
  limitPerStep: number;
};

export function readPathsState(search: SearchRecord): PathsState {
  return {
    kind: oneOf(PATH_KINDS, first(search.kind), "page"),
    value: text(first(search.value), MAX_PATH_VALUE_LENGTH),
    direction: oneOf(PATH_DIRECTIONS, first(search.direction), "after"),
    steps: wholeNumber(first(search.steps), MIN_PATH_STEPS, MAX_PATH_STEPS, DEFAULT_PATH_STEPS),
    limitPerStep: wholeNumber(first(search.limit), MIN_PATH_LIMIT, MAX_PATH_LIMIT, DEFAULT_PATH_LIMIT),
  };
}
