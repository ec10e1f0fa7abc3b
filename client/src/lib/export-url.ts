/** The download address of the raw events behind the dashboard's current range and filters (shared/export.ts). */
import type { ExportFormat } from "../../../shared/export.ts";
import type { AnalyticsRange } from "./dashboard-state.ts";

export function exportEventsUrl(projectId: string, range: AnalyticsRange, format: ExportFormat): string {
  const params = new URLSearchParams({ projectId, format });
  if (range.period) params.set("period", range.period);
  if (range.from) params.set("from", range.from);
  if (range.to) params.set("to", range.to);
  if (range.filters?.length) params.set("filters", JSON.stringify(range.filters));
  return `/api/v1/export/events?${params}`;
}
