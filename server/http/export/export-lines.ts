/**
 * The lines of an export (shared/export.ts), one per event. CSV follows RFC 4180 (a cell holding a comma, quote,
 * CR or LF is quoted, quotes doubled) and is made safe to open in a spreadsheet: a cell starting with = + - @ (or
 * a tab or CR, which some spreadsheets skip before reading a formula) gets a leading apostrophe, so tracked data
 * (attacker-controlled) is never evaluated as a formula (OWASP "CSV injection").
 */
import { EXPORT_FIELDS, type ExportFormat } from "../../../shared/export.ts";
import type { ExportRow } from "../../analytics/read-export-chunk.ts";

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV cell: empty for null, formula starts neutralised, quoted when it must be. */
export function csvCell(value: string | null): string {
  if (value === null) return "";
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The CSV header line (with its CRLF). */
export const CSV_HEADER = `${EXPORT_FIELDS.join(",")}\r\n`;

/** One event as a line of the format (with its line end). */
export function exportLine(row: ExportRow, format: ExportFormat): string {
  if (format === "csv") return `${EXPORT_FIELDS.map((field) => csvCell(row[field])).join(",")}\r\n`;
  const record: Record<string, unknown> = {};
  for (const field of EXPORT_FIELDS)
    record[field] = field === "properties" ? JSON.parse(row.properties ?? "{}") : row[field];
  return `${JSON.stringify(record)}\n`;
}
