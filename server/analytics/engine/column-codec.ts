/**
 * The binary form of one column of a segment (server/analytics/engine/README.md): how the worker writes it into
 * analytics_segment_columns.data and how the engine reads it back. Little-endian throughout. Every form starts with
 * an 8-byte header: u8 kind, 3 bytes of padding, u32 slot count.
 *   - NUMBERS_F64 (timestamps in epoch ms): count f64 at offset 8.
 *   - NUMBERS_I32 (session and user nums, -1 for none): count i32 at offset 8.
 *   - DICTIONARY (dimension and property values): u32 entries, u32 text bytes, u8 code width (1, 2 or 4) and 3 bytes
 *     of padding, the entries as UTF-8 joined by NUL (PostgreSQL text never holds NUL), padding to a multiple of 4,
 *     then one code per slot: 0 for a missing value (null or ""), i + 1 for entry i. Filters run on the entries
 *     (a few thousand strings) and then on the codes, never on strings per event.
 *   - STRINGS (insert ids, never read by queries): u32 text bytes, the strings as UTF-8 joined by NUL.
 * Hand-written for speed: a 65,536-slot column decodes with one copy and no per-slot work.
 */

export const NUMBERS_F64 = 1;
export const NUMBERS_I32 = 2;
export const DICTIONARY = 3;
export const STRINGS = 4;

export type CodeArray = Uint8Array | Uint16Array | Uint32Array;
export type Column =
  | { kind: typeof NUMBERS_F64; values: Float64Array }
  | { kind: typeof NUMBERS_I32; values: Int32Array }
  | {
      kind: typeof DICTIONARY;
      entries: string[];
      codes: CodeArray;
      /** Entry i's id in the reader's value pool (segment-store.ts), when pooled: one id per distinct string. */
      ids?: Int32Array;
    }
  | { kind: typeof STRINGS; values: string[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function header(kind: number, count: number, extra: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(8 + extra);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, kind);
  view.setUint32(4, count, true);
  return { bytes, view };
}

export function encodeF64(values: Float64Array): Uint8Array {
  const { bytes } = header(NUMBERS_F64, values.length, values.byteLength);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 8);
  return bytes;
}

export function encodeI32(values: Int32Array): Uint8Array {
  const { bytes } = header(NUMBERS_I32, values.length, values.byteLength);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 8);
  return bytes;
}

/** A dictionary column of `values` (null and "" are missing). */
export function encodeDictionary(values: ReadonlyArray<string | null | undefined>): Uint8Array {
  const codeOf = new Map<string, number>();
  const entries: string[] = [];
  const codes = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined || value === "") continue;
    let code = codeOf.get(value);
    if (code === undefined) {
      entries.push(value);
      code = entries.length;
      codeOf.set(value, code);
    }
    codes[i] = code;
  }
  const text = encoder.encode(entries.join("\u0000"));
  const width = entries.length < 0xff ? 1 : entries.length < 0xffff ? 2 : 4;
  const codesAt = align4(20 + text.length);
  const { bytes, view } = header(DICTIONARY, values.length, codesAt - 8 + values.length * width);
  view.setUint32(8, entries.length, true);
  view.setUint32(12, text.length, true);
  view.setUint8(16, width);
  bytes.set(text, 20);
  const narrow = width === 1 ? Uint8Array.from(codes) : width === 2 ? Uint16Array.from(codes) : codes;
  bytes.set(new Uint8Array(narrow.buffer, 0, narrow.byteLength), codesAt);
  return bytes;
}

export function encodeStrings(values: readonly string[]): Uint8Array {
  const text = encoder.encode(values.join("\u0000"));
  const { bytes, view } = header(STRINGS, values.length, 4 + text.length);
  view.setUint32(8, text.length, true);
  bytes.set(text, 12);
  return bytes;
}

const align4 = (n: number) => (n + 3) & ~3;

/** Reads a column written by the encoders above. The input may sit at any offset (a driver's Buffer). */
export function decodeColumn(input: Uint8Array): Column {
  // Typed arrays need aligned offsets: one copy into a fresh buffer gives that (and frees the driver's buffer).
  const bytes = input.byteOffset % 8 === 0 ? input : input.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = view.getUint8(0);
  const count = view.getUint32(4, true);
  const at = bytes.byteOffset;
  switch (kind) {
    case NUMBERS_F64:
      return { kind, values: new Float64Array(bytes.buffer, at + 8, count) };
    case NUMBERS_I32:
      return { kind, values: new Int32Array(bytes.buffer, at + 8, count) };
    case DICTIONARY: {
      const entryCount = view.getUint32(8, true);
      const textLength = view.getUint32(12, true);
      const width = view.getUint8(16);
      const entries = entryCount === 0 ? [] : decoder.decode(bytes.subarray(20, 20 + textLength)).split("\u0000");
      const codesAt = at + align4(20 + textLength);
      const codes =
        width === 1
          ? new Uint8Array(bytes.buffer, codesAt, count)
          : width === 2
            ? new Uint16Array(bytes.buffer, codesAt, count)
            : new Uint32Array(bytes.buffer, codesAt, count);
      return { kind, entries, codes };
    }
    case STRINGS: {
      const textLength = view.getUint32(8, true);
      const values = count === 0 ? [] : decoder.decode(bytes.subarray(12, 12 + textLength)).split("\u0000");
      return { kind, values };
    }
    default:
      throw new Error(`unknown segment column kind ${kind}`);
  }
}

/** Bytes a decoded column holds in memory (for the cache's budget). */
export function columnBytes(column: Column): number {
  switch (column.kind) {
    case NUMBERS_F64:
    case NUMBERS_I32:
      return column.values.byteLength;
    case DICTIONARY:
      // Pooled entries are shared by every segment holding them: a reference each here.
      return (
        column.codes.byteLength +
        (column.ids
          ? 12 * column.entries.length
          : column.entries.reduce((sum, entry) => sum + 2 * entry.length + 16, 0))
      );
    case STRINGS:
      return column.values.reduce((sum, value) => sum + 2 * value.length + 16, 0);
  }
}
