import { describe, expect, it } from "bun:test";
import { formatChange, formatCompact, formatDuration, formatPageRange, formatPercent } from "./format.ts";

describe("formatCompact", () => {
  it("shows numbers under a thousand exactly", () => {
    expect(formatCompact(0)).toBe("0");
    expect(formatCompact(7)).toBe("7");
    expect(formatCompact(999)).toBe("999");
  });

  it("shows thousands with one decimal below ten and none above", () => {
    expect(formatCompact(1000)).toBe("1k");
    expect(formatCompact(1234)).toBe("1.2k");
    expect(formatCompact(9_949)).toBe("9.9k");
    expect(formatCompact(15_300)).toBe("15k");
    expect(formatCompact(999_400)).toBe("999k");
  });

  it("moves up a unit instead of showing 1000k", () => {
    expect(formatCompact(999_600)).toBe("1M");
    expect(formatCompact(1_250_000)).toBe("1.3M");
    expect(formatCompact(2_000_000_000)).toBe("2B");
  });

  it("keeps the sign of negative numbers and dashes non-numbers", () => {
    expect(formatCompact(-1500)).toBe("-1.5k");
    expect(formatCompact(Number.NaN)).toBe("–");
  });
});

describe("formatDuration", () => {
  it("shows seconds under a minute", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(45)).toBe("45s");
  });

  it("shows minutes and seconds", () => {
    expect(formatDuration(200)).toBe("3m 20s");
    expect(formatDuration(120)).toBe("2m");
  });

  it("shows the two largest units for long durations", () => {
    expect(formatDuration(3725)).toBe("1h 2m");
    expect(formatDuration(7200)).toBe("2h");
    expect(formatDuration(2 * 86_400 + 3 * 3600 + 59)).toBe("2d 3h");
  });

  it("rounds fractions and refuses negative durations", () => {
    expect(formatDuration(59.6)).toBe("1m");
    expect(formatDuration(-1)).toBe("–");
  });
});

describe("formatChange", () => {
  it("gives the signed percentage against the previous period", () => {
    expect(formatChange(120, 100)).toMatchObject({ text: "+20%", direction: "up" });
    expect(formatChange(75, 100)).toMatchObject({ text: "-25%", direction: "down" });
  });

  it("calls growth from nothing new rather than infinite", () => {
    expect(formatChange(5, 0)).toMatchObject({ text: "New", direction: "new" });
    expect(formatChange(0, 0)).toMatchObject({ text: "0%", direction: "flat" });
  });

  it("describes the change in words for screen readers", () => {
    expect(formatChange(50, 100).label).toBe("down 50% from the previous period");
  });

  it("caps the percentage above 1,000%", () => {
    expect(formatChange(1100, 100)).toMatchObject({ text: "+1,000%", direction: "up" });
    expect(formatChange(1101, 100)).toMatchObject({ text: ">+1,000%", direction: "up" });
    expect(formatChange(187_330, 10).label).toBe("up more than 1,000% from the previous period");
  });
});

describe("formatPercent", () => {
  it("shows a fraction as a percentage, one decimal below 10%", () => {
    expect(formatPercent(0.384)).toBe("38%");
    expect(formatPercent(0.045)).toBe("4.5%");
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(1)).toBe("100%");
  });
});

describe("formatPageRange", () => {
  it("names the rows shown and the total", () => {
    expect(formatPageRange(0, 20, 143)).toBe("1–20 of 143");
    expect(formatPageRange(140, 3, 143)).toBe("141–143 of 143");
    expect(formatPageRange(0, 0, 0)).toBe("0 of 0");
  });
});
