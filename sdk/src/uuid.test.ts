import { describe, expect, it } from "bun:test";
import { uuidv7 } from "./uuid.ts";

describe("uuidv7", () => {
  it("has the RFC 9562 layout with version 7 and the 10xx variant", () => {
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("stores the millisecond timestamp in its first 48 bits", () => {
    const ms = Date.parse("2026-11-26T08:12:34.567Z");
    const hex = uuidv7(ms).replaceAll("-", "").slice(0, 12);
    expect(parseInt(hex, 16)).toBe(ms);
  });

  it("sorts by creation time", () => {
    const ids = [0, 1, 1000, 86_400_000].map((offset) => uuidv7(1_700_000_000_000 + offset));
    expect([...ids].sort()).toEqual(ids);
  });

  it("differs between calls in the same millisecond", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(1000);
  });

  it("matches a known vector", () => {
    const bytes = new Uint8Array(16).fill(0xff);
    expect(uuidv7(0x017f22e279b0, bytes)).toBe("017f22e2-79b0-7fff-bfff-ffffffffffff");
  });
});
