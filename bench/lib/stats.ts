/** Small statistics helpers for the benchmark (sorted-sample percentiles, rounding for the report). */

/** The p-th percentile (0-100) of the samples, nearest-rank on a sorted copy; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Rounds to a number of decimals; keeps null for missing values so the JSON says "not measured". */
export function round(value: number | null | undefined, decimals = 0): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
