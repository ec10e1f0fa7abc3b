/**
 * The paths contract: input and output of `analytics.paths`. Depended on by the server's router and query
 * (server/analytics/paths/get-paths.ts), the dashboard's paths page and API users. Names and shapes are a contract:
 * add, never rename.
 *
 * Semantics (the README's "Paths" section states them for users): per session, the sequence of its `page_view`
 * paths (`kind: "page"`) or of its event names (`kind: "event"`), among events passing `filters`, with consecutive
 * repeats collapsed. A session counts when its first occurrence of `start` is in [from, to); from there the walk
 * goes `steps` values forward (`after`, using events up to `to`) or backward (`before`). Step 0 is the start node.
 * Per step, the top `limitPerStep` values by sessions (ties by value) are kept, the rest shown as "$other"; a session
 * in "$other" goes on with its real next value. A session that stops before the last step goes to "(end)" (not
 * counted against the limit) and no further. Links join consecutive steps' nodes.
 */
import { z } from "zod";
import { analyticsInputSchema } from "./analytics.ts";
import {
  DEFAULT_PATH_LIMIT,
  DEFAULT_PATH_STEPS,
  MAX_PATH_LIMIT,
  MAX_PATH_STEPS,
  MAX_PATH_VALUE_LENGTH,
  MIN_PATH_LIMIT,
  MIN_PATH_STEPS,
  PATH_DIRECTIONS,
  PATH_KINDS,
} from "./journey-constants.ts";

export const pathsInputSchema = analyticsInputSchema.safeExtend({
  start: z.object(
    {
      kind: z.enum(PATH_KINDS, { error: "start.kind is page or event." }),
      value: z
        .string({ error: "start.value is a page path or an event name." })
        .min(1, { message: "start.value must not be empty: name a page path or an event." })
        .max(MAX_PATH_VALUE_LENGTH, { message: `start.value is at most ${MAX_PATH_VALUE_LENGTH} characters.` })
        .refine((value) => !value.includes("\u0000"), { message: "start.value must not contain NUL." }),
    },
    { error: "start is { kind: page | event, value }." },
  ),
  direction: z.enum(PATH_DIRECTIONS, { error: "direction is after or before." }).default("after"),
  steps: z
    .number({ error: `steps is a whole number from ${MIN_PATH_STEPS} to ${MAX_PATH_STEPS}.` })
    .int({ message: `steps is a whole number from ${MIN_PATH_STEPS} to ${MAX_PATH_STEPS}.` })
    .min(MIN_PATH_STEPS, { message: `steps is at least ${MIN_PATH_STEPS}.` })
    .max(MAX_PATH_STEPS, { message: `steps is at most ${MAX_PATH_STEPS}.` })
    .default(DEFAULT_PATH_STEPS),
  limitPerStep: z
    .number({ error: `limitPerStep is a whole number from ${MIN_PATH_LIMIT} to ${MAX_PATH_LIMIT}.` })
    .int({ message: `limitPerStep is a whole number from ${MIN_PATH_LIMIT} to ${MAX_PATH_LIMIT}.` })
    .min(MIN_PATH_LIMIT, { message: `limitPerStep is at least ${MIN_PATH_LIMIT}.` })
    .max(MAX_PATH_LIMIT, { message: `limitPerStep is at most ${MAX_PATH_LIMIT}.` })
    .default(DEFAULT_PATH_LIMIT),
});
export type PathsInput = z.input<typeof pathsInputSchema>;
export type ParsedPathsInput = z.output<typeof pathsInputSchema>;

export interface PathNode {
  /** 0 is the start node; k is k steps after (or before) it. */
  step: number;
  value: string;
  sessions: number;
}
export interface PathLink {
  /** The link goes from node (fromStep, from) to node (fromStep + 1, to). */
  fromStep: number;
  from: string;
  to: string;
  sessions: number;
}
export interface Paths {
  nodes: PathNode[];
  links: PathLink[];
}
