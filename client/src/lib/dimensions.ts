/** How filter dimensions and their empty values are named on screen. */

const DIMENSION_LABELS: Record<string, string> = {
  event_name: "Event",
  path: "Page",
  referrer: "Referrer",
  utm_source: "UTM source",
  utm_medium: "UTM medium",
  utm_campaign: "UTM campaign",
  browser: "Browser",
  os: "OS",
  device: "Device",
};

export function dimensionLabel(dimension: string): string {
  if (dimension.startsWith("property:")) return `Property ${dimension.slice(9)}`;
  return DIMENSION_LABELS[dimension] ?? dimension;
}

const OP_LABELS = { eq: "is", neq: "is not", contains: "contains" } as const;

export function opLabel(op: keyof typeof OP_LABELS): string {
  return OP_LABELS[op];
}

/** The text for a missing value (no referrer means a direct visit). */
export function emptyValueLabel(dimension: string): string {
  return dimension === "referrer" ? "Direct / none" : "(none)";
}
