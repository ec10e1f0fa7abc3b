/**
 * A property value as text, exactly as PostgreSQL's `properties ->> key` gives it for the jsonb the pipeline stored
 * (ingest parses the client's JSON and stores JSON.stringify of it): property filters compare this text, so the
 * engine and SQL over raw events must agree on it. null (JSON null or no key) is missing.
 *   - strings as they are, booleans as true/false;
 *   - numbers as PostgreSQL's numeric prints them: JSON.stringify may use an exponent (1e+21, 1.5e-7) that jsonb
 *     expands into plain digits;
 *   - objects and arrays in jsonb's canonical output: keys ordered by length, then bytes; ", " and ": " separators.
 */
export function propertyText(value: unknown): string | null {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return numericText(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return value === null ? null : jsonbText(value);
    default:
      return null; // undefined, functions: not representable in JSON, never stored
  }
}

/** PostgreSQL numeric's text for the number JSON.stringify(n) writes. */
export function numericText(n: number): string {
  if (!Number.isFinite(n)) return "null"; // JSON.stringify writes null for these
  const text = String(n);
  const e = text.indexOf("e");
  if (e < 0) return text;
  const negative = text.startsWith("-");
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const [whole = "", fraction = ""] = mantissa.split(".");
  const digits = whole + fraction;
  const point = whole.length + exponent; // where the decimal point falls within `digits`
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

const utf8 = new TextEncoder();

/** jsonb key order: shorter keys first, then bytewise by UTF-8. */
function compareKeys(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

function jsonbText(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(", ")}]`;
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return numericText(value);
    case "boolean":
      return String(value);
    case "object": {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      entries.sort(([a], [b]) => compareKeys(a, b));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${jsonbText(v)}`).join(", ")}}`;
    }
    default:
      return "null";
  }
}
