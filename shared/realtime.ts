/**
 * The realtime contract: `analytics.realtime({ projectId })` -> `{ currentVisitors }`, the sessions with an event
 * whose `timestamp` lies in the last REALTIME_WINDOW_MS (5 minutes) up to now. Events without a session (backends)
 * are not visitors. Depended on by the analytics router and the dashboard's realtime badge: add, never rename.
 */
import { z } from "zod";

export const realtimeInputSchema = z.object({ projectId: z.uuid({ message: "projectId must be a UUID" }) });
export type RealtimeInput = z.infer<typeof realtimeInputSchema>;

export interface Realtime {
  /** Distinct sessions with at least one event in the last 5 minutes. */
  currentVisitors: number;
}
