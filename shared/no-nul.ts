/**
 * One rule for every string a client sends the dashboard API: no U+0000 (NUL), in any value or member name, at any
 * depth. PostgreSQL's text and jsonb refuse NUL, so a value holding one would fail its query as an internal error;
 * refused here it is a BAD_REQUEST naming the field. The server applies it once, to the raw input of every tRPC
 * procedure before its schema (server/http/trpc/init.ts), so no field can forget it; the dashboard may use it as well.
 */

/** The path of the first string or member name holding NUL, or null when there is none. */
export function findNul(value: unknown): Array<string | number> | null {
  // An explicit stack, never recursion: input nesting is bounded only by the body's size.
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === "string") {
      if (item.value.includes("\u0000")) return item.path;
    } else if (Array.isArray(item.value)) {
      for (let i = item.value.length - 1; i >= 0; i--) stack.push({ value: item.value[i], path: [...item.path, i] });
    } else if (typeof item.value === "object" && item.value !== null) {
      const entries = Object.entries(item.value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [name, member] = entries[i]!;
        if (name.includes("\u0000")) return [...item.path, name];
        stack.push({ value: member, path: [...item.path, name] });
      }
    }
  }
  return null;
}

export const NUL_MESSAGE = "Must not contain the NUL character (U+0000).";
