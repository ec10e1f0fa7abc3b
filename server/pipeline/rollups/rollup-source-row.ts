// Its own file so the rollup modules can share it without importing each other in a circle.
/** One stored event as the rollups need it: a row the events insert added (see the contract at the top of apply-rollups.ts). */
export interface RollupSourceRow {
  projectId: string;
  insertId: string;
  eventName: string;
  distinctId: string | null;
  sessionId: string | null;
  path: string | null;
  referrerHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  country: string | null;
  /** The event's properties; identify events name the previous id in `$anon_distinct_id` (apply-person-links.ts). */
  properties: Record<string, unknown>;
  /** A Date (drizzle's RETURNING), or PostgreSQL's text form when raw SQL returned it. */
  timestamp: Date | string;
}
