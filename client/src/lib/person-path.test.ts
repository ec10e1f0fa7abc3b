import { describe, expect, it } from "bun:test";
import { personPath, readPersonParam } from "./person-path.ts";

describe("personPath", () => {
  it("reads back every id it writes, whatever the characters", () => {
    for (const id of ["user_307", "a/b?c#d", "100%", "ümlaut 😀", "anon:AbC-_x"]) {
      const segment = personPath("p1", id).split("/").at(-1)!;
      expect(segment).not.toContain("/");
      expect(readPersonParam(segment)).toBe(id);
    }
  });

  it("keeps a malformed escape as typed", () => {
    expect(readPersonParam("%E0%A4%A")).toBe("%E0%A4%A");
  });
});
