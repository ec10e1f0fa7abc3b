import { describe, expect, it } from "bun:test";
import { loginUrlFor, safeNextPath } from "./next-path.ts";

describe("safeNextPath", () => {
  it("keeps paths of this site with their query", () => {
    expect(safeNextPath("/projects/42?period=30d")).toBe("/projects/42?period=30d");
  });

  it("refuses other sites and protocol-relative tricks", () => {
    expect(safeNextPath("https://evil.example/")).toBe("/projects");
    expect(safeNextPath("//evil.example/")).toBe("/projects");
    expect(safeNextPath("/\\evil.example")).toBe("/projects");
  });

  it("never loops back to the sign-in pages", () => {
    expect(safeNextPath("/login?next=/x")).toBe("/projects");
  });
});

describe("loginUrlFor", () => {
  it("remembers the page to come back to", () => {
    expect(loginUrlFor("/projects/1/settings")).toBe("/login?next=%2Fprojects%2F1%2Fsettings");
  });
});
