import { describe, expect, it } from "bun:test";
import { countryFlag, countryName } from "./countries.ts";

describe("countryFlag", () => {
  it("builds the flag from the two regional indicator letters", () => {
    expect(countryFlag("DE")).toBe("🇩🇪");
    expect(countryFlag("US")).toBe("🇺🇸");
  });

  it("gives no flag for anything that is not an alpha-2 code", () => {
    for (const code of ["", "de", "DEU", "D1", "<b>"]) expect(countryFlag(code)).toBe("");
  });
});

describe("countryName", () => {
  it("names the country in the given language", () => {
    expect(countryName("DE", "en")).toBe("Germany");
    expect(countryName("JP", "en")).toBe("Japan");
  });

  it("shows anything else as sent", () => {
    expect(countryName("<img>", "en")).toBe("<img>");
  });
});
